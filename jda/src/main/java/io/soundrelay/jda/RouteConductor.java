/*
 * Copyright 2026 The SoundRelay Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     https://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */
package io.soundrelay.jda;

import org.slf4j.Logger;

import java.util.List;
import java.util.Map;

/**
 * Owns a send system's route on the node and brings it in line with what the send thread wants, through the
 * control API. Runs on the system's control thread only, so REST calls never stall the send thread; what the send
 * thread needs to know, {@link #confirmed()} and {@link #lastError()}, is published through volatile fields.
 * <ul>
 *   <li>First packet of a stream: {@code POST /route}; a {@code 409} (the route exists, e.g. from an earlier
 *       connection with the same SSRC) is taken over with {@code PUT /route/{id}}.</li>
 *   <li>The voice server moved: {@code PUT /route/{id}} with the new target; a {@code 404} (the route expired or
 *       was deleted meanwhile) falls back to {@code POST}.</li>
 *   <li>The SSRC changed: the old route is removed as in {@link #remove()}, then the new one created.</li>
 *   <li>No answer, or 408, 429, 5xx: tried again after 250 ms, doubling up to 5 s. Any other refusal (400, 401,
 *       403, ...) is reported once and not tried again until the route wanted changes.</li>
 * </ul>
 */
final class RouteConductor
{
    static final long FIRST_RETRY_MS = 250;
    static final long MAX_RETRY_MS = 5_000;
    static final long NO_RETRY = -1;

    private final ControlApiClient api;
    private final String sourceAddr;
    private final int paceMs;
    private final String name;
    private final Logger log;

    private volatile RouteKey confirmed;
    private volatile SoundRelayRouteException lastError;

    private RouteKey onNode;
    private long maybeCreated;
    private RouteKey refusedKey;
    private int failures;
    private String lastLogged;

    /**
     * @param api        the node's control API.
     * @param sourceAddr {@code ip:port} the node sees the system's packets come from.
     * @param paceMs     the route's {@code pace_ms}, or 0 to leave it out.
     * @param name       the connection, for the log.
     * @param log        where to report.
     */
    RouteConductor(
        final ControlApiClient api, final String sourceAddr, final int paceMs, final String name, final Logger log)
    {
        this.api = api;
        this.sourceAddr = sourceAddr;
        this.paceMs = paceMs;
        this.name = name;
        this.log = log;
    }

    /**
     * @return the route the node holds for the send system as far as known, or null: packets of this key may go.
     */
    RouteKey confirmed()
    {
        return confirmed;
    }

    /**
     * @return the last failure, or null once the route is confirmed.
     */
    SoundRelayRouteException lastError()
    {
        return lastError;
    }

    /**
     * Make the node's route match {@code wanted}.
     *
     * @param wanted the route the send thread wants, or null for none yet.
     * @return milliseconds after which to call again, or {@link #NO_RETRY} when there is nothing more to do.
     * @throws InterruptedException when the thread was interrupted during a call.
     */
    long reconcile(final RouteKey wanted) throws InterruptedException
    {
        if (null == wanted || wanted.equals(refusedKey))
        {
            return NO_RETRY;
        }
        if (wanted.equals(onNode))
        {
            confirmed = wanted; // back to a route the node has (A, then B unconfirmed, then A again)
            return NO_RETRY;
        }
        confirmed = null; // while the route changes, the node holds one or the other: nothing goes
        try
        {
            if (null != onNode && onNode.streamId() != wanted.streamId())
            {
                removeIfOurs(onNode.streamId());
                onNode = null;
            }
            final String body = Json.routeRequest(
                wanted.streamId(), sourceAddr, List.of(Addresses.format(wanted.target())), paceMs);
            if (null != onNode)
            {
                final ControlApiClient.Answer answer = api.call("PUT", wanted.path(), body);
                if (answer.status() == 404)
                {
                    create(wanted, body);
                }
                else if (answer.status() != 200)
                {
                    throw api.refused("PUT", wanted.path(), answer);
                }
            }
            else
            {
                create(wanted, body);
            }
            onNode = wanted;
            maybeCreated = 0;
            failures = 0;
            refusedKey = null;
            lastError = null;
            lastLogged = null;
            confirmed = wanted;
            log.info("{}: route {} confirmed on {}: {} -> {}", name, Long.toUnsignedString(wanted.streamId()),
                api.base(), sourceAddr, Addresses.format(wanted.target()));
            return NO_RETRY;
        }
        catch (final SoundRelayRouteException ex)
        {
            lastError = ex;
            if (ex.status() == SoundRelayRouteException.NO_ANSWER && null != onNode)
            {
                // A change without an answer may or may not have happened: what the node holds is unknown now.
                maybeCreated = onNode.streamId();
                onNode = null;
            }
            if (ex.isTransient())
            {
                failures++;
                final long delayMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(failures - 1, 16));
                if (!ex.getMessage().equals(lastLogged))
                {
                    lastLogged = ex.getMessage();
                    log.warn("{}: {}; trying again, packets wait meanwhile", name, ex.getMessage());
                }
                return delayMs;
            }
            refusedKey = wanted;
            log.error("{}: {}; no packets are sent on this route", name, ex.getMessage());
            return NO_RETRY;
        }
    }

    /**
     * Remove the route, if the node still has it from this send system: the route is looked up first and deleted
     * only while its source is still ours, so that a newer connection that took the stream over keeps it.
     *
     * @throws InterruptedException when the thread was interrupted during a call.
     */
    void remove() throws InterruptedException
    {
        confirmed = null;
        final long streamId = null != onNode ? onNode.streamId() : maybeCreated;
        onNode = null;
        maybeCreated = 0;
        if (streamId == 0)
        {
            return;
        }
        try
        {
            removeIfOurs(streamId);
        }
        catch (final SoundRelayRouteException ex)
        {
            log.warn("{}: {}; the route stays until the node expires it (ROUTE_TTL_SECONDS)", name, ex.getMessage());
        }
    }

    private void create(final RouteKey wanted, final String body)
        throws SoundRelayRouteException, InterruptedException
    {
        try
        {
            final ControlApiClient.Answer created = api.call("POST", "/route", body);
            if (created.status() == 201)
            {
                return;
            }
            if (created.status() != 409)
            {
                throw api.refused("POST", "/route", created);
            }
            log.info("{}: route {} exists (an earlier connection?); taking it over", name,
                Long.toUnsignedString(wanted.streamId()));
            final ControlApiClient.Answer replaced = api.call("PUT", wanted.path(), body);
            if (replaced.status() == 404)
            {
                throw api.refused("POST", "/route", created); // the 409 came from a route another node owns (Redis)
            }
            if (replaced.status() != 200)
            {
                throw api.refused("PUT", wanted.path(), replaced);
            }
        }
        catch (final SoundRelayRouteException ex)
        {
            if (ex.status() == SoundRelayRouteException.NO_ANSWER)
            {
                maybeCreated = wanted.streamId(); // a call without an answer may still have made the route ours
            }
            throw ex;
        }
    }

    private void removeIfOurs(final long streamId) throws SoundRelayRouteException, InterruptedException
    {
        final String path = "/route/" + Long.toUnsignedString(streamId);
        final ControlApiClient.Answer route = api.call("GET", path, null);
        if (route.status() == 404)
        {
            return;
        }
        if (route.status() != 200)
        {
            throw api.refused("GET", path, route);
        }
        final String source = sourceOf(route.body());
        if (null == source || !sameAddress(source, sourceAddr))
        {
            log.info("{}: route {} now has source {}; left to it", name, Long.toUnsignedString(streamId), source);
            return;
        }
        final ControlApiClient.Answer deleted = api.call("DELETE", path, null);
        if (deleted.status() != 204 && deleted.status() != 404)
        {
            throw api.refused("DELETE", path, deleted);
        }
        log.info("{}: route {} deleted", name, Long.toUnsignedString(streamId));
    }

    private static String sourceOf(final String body)
    {
        try
        {
            final Map<String, Object> route = Json.object(body);
            return route.get("source_addr") instanceof String ? (String)route.get("source_addr") : null;
        }
        catch (final IllegalArgumentException ex)
        {
            return null;
        }
    }

    private static boolean sameAddress(final String a, final String b)
    {
        if (a.equals(b))
        {
            return true;
        }
        final Object parsedA = Addresses.parse(a);
        return null != parsedA && parsedA.equals(Addresses.parse(b));
    }
}
