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

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Owns a send system's route on a node and brings it in line with what the send thread wants, through the control
 * API. Runs on the system's control thread only, so REST calls never stall the send thread; what the send thread
 * needs to know, {@link #confirmed()}, {@link #relay()} and {@link #lastError()}, is published through volatile
 * fields.
 * <ul>
 *   <li>First packet of a stream: {@code POST /route} on the least loaded node ({@link NodeDirectory}); a node that
 *       does not answer or refuses (a {@code 503} while it is full or drains included) is skipped for the next at
 *       once. A {@code 409} (the route exists, e.g. from an earlier connection with the same SSRC) is taken over with
 *       {@code PUT /route/{id}}; when another node owns it and that node is gone, {@code POST /migrate} makes this
 *       node its owner first.</li>
 *   <li>The voice server moved: {@code PUT /route/{id}} with the new target on the route's node; a {@code 404} (the
 *       route expired or was deleted meanwhile) falls back to {@code POST}.</li>
 *   <li>The SSRC changed: the old route is removed as in {@link #remove()}, then the new one created.</li>
 *   <li>Every check interval, {@link #check(RouteKey)}: {@code GET /route/{id}} on the route's node. A new
 *       {@code node_id} (a migration, a drain) moves the packets to that node's relay address; no answer, a
 *       {@code 5xx} or a {@code 404} create the route on another node.</li>
 *   <li>No node took the route, and one of them did not answer or answered 408, 429 or 5xx: tried again after
 *       250 ms, doubling up to 5 s. Only refusals (400, 401, 403, ...) are reported once and not tried again until
 *       the route wanted changes.</li>
 * </ul>
 */
final class RouteConductor
{
    static final long FIRST_RETRY_MS = 250;
    static final long MAX_RETRY_MS = 5_000;
    static final long NO_RETRY = -1;

    /**
     * The address the nodes see the send system's packets come from, as {@code ip:port}.
     */
    @FunctionalInterface
    interface SourceResolver
    {
        /**
         * @param relay the relay address the packets will go to.
         * @return the route's {@code source_addr}.
         * @throws IOException when it cannot be told.
         */
        String sourceFor(InetSocketAddress relay) throws IOException;
    }

    private final NodeDirectory nodes;
    private final SourceResolver source;
    private final boolean ipv4Only;
    private final int paceMs;
    private final String name;
    private final Logger log;

    private volatile RouteKey confirmed;
    private volatile InetSocketAddress relay;
    private volatile NodeDirectory.Node owner;
    private volatile SoundRelayRouteException lastError;

    private RouteKey onNode;
    private ControlApiClient ownerApi;
    private long maybeCreated;
    private ControlApiClient maybeCreatedOn;
    private RouteKey refusedKey;
    private int failures;
    private String lastLogged;
    private boolean retryAnyway;
    private final Set<String> exclude = new HashSet<>();

    /**
     * @param nodes    the nodes routes may go on.
     * @param source   tells the route's {@code source_addr}.
     * @param ipv4Only true when the system's socket sends IPv4 only: nodes with an IPv6 relay address are skipped.
     * @param paceMs   the route's {@code pace_ms}, or 0 to leave it out.
     * @param name     the connection, for the log.
     * @param log      where to report.
     */
    RouteConductor(final NodeDirectory nodes, final SourceResolver source, final boolean ipv4Only, final int paceMs,
        final String name, final Logger log)
    {
        this.nodes = nodes;
        this.source = source;
        this.ipv4Only = ipv4Only;
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
     * @return the relay address of the route's node, where packets go; null before a route was confirmed.
     */
    InetSocketAddress relay()
    {
        return relay;
    }

    /**
     * @return the node that holds the route as far as known, or null.
     */
    NodeDirectory.Node owner()
    {
        return owner;
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
        retryAnyway = false;
        try
        {
            if (null != onNode && onNode.streamId() != wanted.streamId())
            {
                removeIfOurs(ownerApi, onNode.streamId());
                onNode = null;
            }
            if (null != onNode)
            {
                final String body = body(wanted, owner.relay());
                final ControlApiClient.Answer answer = ownerApi.call("PUT", wanted.path(), body);
                if (answer.status() == 404)
                {
                    createSomewhere(wanted);
                }
                else if (answer.status() != 200)
                {
                    throw ownerApi.refused("PUT", wanted.path(), answer);
                }
            }
            else
            {
                createSomewhere(wanted);
            }
            onNode = wanted;
            maybeCreated = 0;
            maybeCreatedOn = null;
            failures = 0;
            refusedKey = null;
            lastError = null;
            lastLogged = null;
            exclude.clear();
            confirmed = wanted;
            log.info("{}: route {} confirmed on {}: {} -> {}", name, Long.toUnsignedString(wanted.streamId()),
                ownerApi.base(), source.sourceFor(relay), Addresses.format(wanted.target()));
            return NO_RETRY;
        }
        catch (final IOException ex)
        {
            exclude.clear(); // a node left out once is tried again on the next attempt: it may hold the route
            final SoundRelayRouteException error = ex instanceof SoundRelayRouteException sre ? sre :
                new SoundRelayRouteException("POST", "/route", SoundRelayRouteException.NO_ANSWER, ex.getMessage(), ex);
            lastError = error;
            if (error.status() == SoundRelayRouteException.NO_ANSWER && null != onNode)
            {
                // A change without an answer may or may not have happened: what the node holds is unknown now.
                maybeCreated = onNode.streamId();
                maybeCreatedOn = ownerApi;
                onNode = null;
            }
            if (error.isTransient() || retryAnyway)
            {
                failures++;
                final long delayMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS << Math.min(failures - 1, 16));
                if (!error.getMessage().equals(lastLogged))
                {
                    lastLogged = error.getMessage();
                    log.warn("{}: {}; trying again, packets wait meanwhile", name, error.getMessage());
                }
                return delayMs;
            }
            refusedKey = wanted;
            log.error("{}: {}; no packets are sent on this route", name, error.getMessage());
            return NO_RETRY;
        }
    }

    /**
     * Ask the route's node about the confirmed route: still there, moved by a migration or a drain (the packets
     * follow to the new owner's relay address), gone (a new route), or the node is down (a new route on another).
     *
     * @param wanted the route the send thread wants.
     * @return milliseconds after which to call {@link #reconcile(RouteKey)}, or {@link #NO_RETRY}.
     * @throws InterruptedException when the thread was interrupted during a call.
     */
    long check(final RouteKey wanted) throws InterruptedException
    {
        final NodeDirectory.Node node = owner;
        if (null == wanted || !wanted.equals(confirmed) || !wanted.equals(onNode) || null == node)
        {
            return NO_RETRY;
        }
        final ControlApiClient.Answer answer;
        try
        {
            answer = ownerApi.call("GET", wanted.path(), null);
        }
        catch (final SoundRelayRouteException ex)
        {
            return move(wanted, node, "does not answer (" + ex.getMessage() + ")", true);
        }
        if (answer.status() == 404)
        {
            return move(wanted, node, "lost the route", false);
        }
        if (answer.status() >= 500)
        {
            return move(wanted, node, "answered " + answer.status(), true);
        }
        if (answer.status() != 200)
        {
            return NO_RETRY;
        }
        final String nodeId = stringOf(answer.body(), "node_id");
        if (null == nodeId || nodeId.equals(node.nodeId()))
        {
            return NO_RETRY;
        }
        if (null == node.nodeId())
        {
            owner = withNodeId(node, nodeId);
            return NO_RETRY;
        }
        final NodeDirectory.Node to = nodes.locate(nodeId, node.controlUrl());
        if (null == to || null == to.relay() || ipv4Only && to.relay().getAddress() instanceof Inet6Address)
        {
            return NO_RETRY; // the new owner's heartbeat does not list it yet: the next check
        }
        ownerApi = nodes.api(to.controlUrl());
        relay = to.relay();
        owner = to;
        log.info("{}: route {} moved from node {} to node {}: packets go to {}", name,
            Long.toUnsignedString(wanted.streamId()), node.nodeId(), nodeId, Addresses.format(to.relay()));
        return NO_RETRY;
    }

    private long move(final RouteKey wanted, final NodeDirectory.Node node, final String why, final boolean down)
        throws InterruptedException
    {
        log.warn("{}: the node at {} {}; creating route {} again{}", name, node.controlUrl(), why,
            Long.toUnsignedString(wanted.streamId()), down ? " on another node" : "");
        if (down)
        {
            exclude.add(node.controlUrl());
        }
        onNode = null;
        return reconcile(wanted);
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
        final ControlApiClient api = null != onNode ? ownerApi : maybeCreatedOn;
        onNode = null;
        maybeCreated = 0;
        maybeCreatedOn = null;
        if (streamId == 0 || null == api)
        {
            return;
        }
        try
        {
            removeIfOurs(api, streamId);
        }
        catch (final SoundRelayRouteException ex)
        {
            log.warn("{}: {}; the route stays until the node expires it (ROUTE_TTL_SECONDS)", name, ex.getMessage());
        }
    }

    /**
     * Create the route on the first node, least loaded first, that takes it; publishes that node's relay address.
     */
    private void createSomewhere(final RouteKey wanted) throws IOException, InterruptedException
    {
        final List<NodeDirectory.Node> candidates = nodes.candidates(exclude);
        if (candidates.isEmpty())
        {
            throw new SoundRelayRouteException("POST", "/route", SoundRelayRouteException.NO_ANSWER,
                "POST /route: no node to try (every configured node drains or is left out)", null);
        }
        final List<String> reasons = new ArrayList<>();
        SoundRelayRouteException first = null;
        SoundRelayRouteException transientOne = null;
        for (final NodeDirectory.Node node : candidates)
        {
            final ControlApiClient api = nodes.api(node.controlUrl());
            try
            {
                if (null == node.relay() || ipv4Only && node.relay().getAddress() instanceof Inet6Address)
                {
                    throw new SoundRelayRouteException("POST", "/route", SoundRelayRouteException.NO_ANSWER,
                        "the relay address of the node at " + node.controlUrl() +
                        (null == node.relay() ? " is unknown (not in GET /nodes)" : " is IPv6, the socket IPv4"), null);
                }
                final String nodeId = createOn(api, node, wanted);
                ownerApi = api;
                owner = null == node.nodeId() && null != nodeId ? withNodeId(node, nodeId) : node;
                relay = node.relay();
                return;
            }
            catch (final SoundRelayRouteException ex)
            {
                if (candidates.size() > 1)
                {
                    log.info("{}: {}; trying the next node", name, ex.getMessage());
                }
                reasons.add(ex.getMessage());
                first = null == first ? ex : first;
                transientOne = ex.isTransient() ? ex : transientOne;
            }
        }
        final SoundRelayRouteException chosen = null != transientOne ? transientOne : first;
        if (reasons.size() == 1)
        {
            throw chosen;
        }
        throw new SoundRelayRouteException(chosen.method(), chosen.path(), chosen.status(),
            "no node took route " + Long.toUnsignedString(wanted.streamId()) + ": " + String.join("; ", reasons),
            chosen);
    }

    /**
     * @return the {@code node_id} the node answered with, or null.
     */
    private String createOn(final ControlApiClient api, final NodeDirectory.Node node, final RouteKey wanted)
        throws IOException, InterruptedException
    {
        final String body = body(wanted, node.relay());
        try
        {
            final ControlApiClient.Answer created = api.call("POST", "/route", body);
            if (created.status() == 201)
            {
                return stringOf(created.body(), "node_id");
            }
            if (created.status() != 409)
            {
                throw api.refused("POST", "/route", created);
            }
            log.info("{}: route {} exists (an earlier connection, or a node that is gone?); taking it over", name,
                Long.toUnsignedString(wanted.streamId()));
            ControlApiClient.Answer replaced = api.call("PUT", wanted.path(), body);
            if (replaced.status() == 404 && null != node.relayAddr())
            {
                // Another node owns it in Redis. If that node is gone, /migrate to this node adopts the route.
                final ControlApiClient.Answer adopted = api.call("POST", "/migrate",
                    "{\"stream_id\":" + Long.toUnsignedString(wanted.streamId()) + ",\"new_node_addr\":" +
                    Json.appendString(new StringBuilder(), node.relayAddr()) + "}");
                if (adopted.status() != 200)
                {
                    retryAnyway |= adopted.status() == 409; // its owner may still look alive for a few seconds
                    throw api.refused("POST", "/migrate", adopted);
                }
                log.info("{}: route {} adopted by the node at {}", name, Long.toUnsignedString(wanted.streamId()),
                    api.base());
                replaced = api.call("PUT", wanted.path(), body);
            }
            if (replaced.status() == 404)
            {
                throw api.refused("POST", "/route", created); // the 409 came from a route another node owns (Redis)
            }
            if (replaced.status() != 200)
            {
                throw api.refused("PUT", wanted.path(), replaced);
            }
            return stringOf(replaced.body(), "node_id");
        }
        catch (final SoundRelayRouteException ex)
        {
            if (ex.status() == SoundRelayRouteException.NO_ANSWER)
            {
                maybeCreated = wanted.streamId(); // a call without an answer may still have made the route ours
                maybeCreatedOn = api;
            }
            throw ex;
        }
    }

    private String body(final RouteKey wanted, final InetSocketAddress to) throws IOException
    {
        return Json.routeRequest(
            wanted.streamId(), source.sourceFor(to), List.of(Addresses.format(wanted.target())), paceMs);
    }

    private void removeIfOurs(final ControlApiClient api, final long streamId)
        throws SoundRelayRouteException, InterruptedException
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
        final String routeSource = stringOf(route.body(), "source_addr");
        final String ours;
        try
        {
            ours = source.sourceFor(relay);
        }
        catch (final IOException ex)
        {
            return;
        }
        if (null == routeSource || !sameAddress(routeSource, ours))
        {
            log.info("{}: route {} now has source {}; left to it", name, Long.toUnsignedString(streamId), routeSource);
            return;
        }
        final ControlApiClient.Answer deleted = api.call("DELETE", path, null);
        if (deleted.status() != 204 && deleted.status() != 404)
        {
            throw api.refused("DELETE", path, deleted);
        }
        log.info("{}: route {} deleted", name, Long.toUnsignedString(streamId));
    }

    private static NodeDirectory.Node withNodeId(final NodeDirectory.Node node, final String nodeId)
    {
        return new NodeDirectory.Node(
            node.controlUrl(), node.relay(), node.relayAddr(), nodeId, node.load(), node.draining());
    }

    private static String stringOf(final String body, final String member)
    {
        try
        {
            final Map<String, Object> object = Json.object(body);
            return object.get(member) instanceof String ? (String)object.get(member) : null;
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
