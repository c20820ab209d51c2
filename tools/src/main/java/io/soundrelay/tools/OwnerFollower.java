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
package io.soundrelay.tools;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The drill's sources follow their routes' owners the way the clients do (PROTOCOL.md sections 7 and 12): every
 * check interval each stream asks the node it sends to {@code GET /route/{id}}, another node when that request fails,
 * and when the answer's {@code node_id} is another node it looks up that node's {@code relay_addr} in
 * {@code GET /nodes} and sends there from then on.
 * <p>
 * One poll task per stream on a small pool; a stream's polls never overlap, so its own state has one writer. The
 * {@link Sender} reads the destinations; the drill reads the owners, the time of each stream's last answer, and
 * the switches.
 */
final class OwnerFollower implements AutoCloseable
{
    private static final int THREADS = 8;

    /**
     * A stream that moved to another node.
     *
     * @param lastOldNs the {@link System#nanoTime()} of the last answer that still named the old owner: the owner
     *                  changed after it.
     * @param switchNs  when the stream's datagrams started going to the new owner.
     */
    record Switch(int stream, String fromNode, String toNode, long lastOldNs, long switchNs)
    {
        /**
         * @return the switch-over, at most: from the last answer naming the old owner to the switch.
         */
        double millis()
        {
            return (switchNs - lastOldNs) / 1e6;
        }
    }

    private final MigrateDrill.NodeApi api;
    private final List<MigrateDrill.Node> nodes;
    private final long firstStreamId;
    private final long checkMs;
    private final AtomicReferenceArray<InetSocketAddress> destinations;
    private final AtomicReferenceArray<String> owners;
    private final AtomicLongArray lastAnswerNs;
    private final long[] lastOldNs;
    private final Map<String, InetSocketAddress> relays = new ConcurrentHashMap<>();
    private final Queue<Switch> switches = new ConcurrentLinkedQueue<>();
    private final LongAdder failedRequests = new LongAdder();
    private final LongAdder missingRoutes = new LongAdder();
    private final ScheduledExecutorService pool;

    /**
     * @param nodes  the nodes the drill was given, matched to GET /nodes: where a stream asks, by owner.
     * @param owners each stream's owner when its route was made; the follower keeps it current from then on.
     */
    OwnerFollower(
        final MigrateDrill.NodeApi api,
        final List<MigrateDrill.Node> nodes,
        final long firstStreamId,
        final long checkMs,
        final String[] owners)
    {
        this.api = api;
        this.nodes = List.copyOf(nodes);
        this.firstStreamId = firstStreamId;
        this.checkMs = checkMs;
        this.owners = new AtomicReferenceArray<>(owners);
        this.destinations = new AtomicReferenceArray<>(owners.length);
        this.lastAnswerNs = new AtomicLongArray(owners.length);
        this.lastOldNs = new long[owners.length];
        for (final MigrateDrill.Node node : nodes)
        {
            relays.put(node.nodeId(), node.sendTo());
        }
        final long nowNs = System.nanoTime();
        for (int i = 0; i < owners.length; i++)
        {
            destinations.set(i, relays.get(owners[i]));
            lastAnswerNs.set(i, nowNs);
            lastOldNs[i] = nowNs;
        }
        this.pool = Executors.newScheduledThreadPool(THREADS, (task) -> DrillSupport.daemon(task,
            "soundrelay-drill-follow"));
    }

    /**
     * Start polling, the streams spread over one check interval.
     */
    void start()
    {
        final int streams = owners.length();
        final long intervalUs = TimeUnit.MILLISECONDS.toMicros(checkMs);
        for (int i = 0; i < streams; i++)
        {
            final int stream = i;
            pool.scheduleWithFixedDelay(() -> poll(stream), intervalUs * i / streams, intervalUs,
                TimeUnit.MICROSECONDS);
        }
    }

    /**
     * @return where the stream's datagrams go now.
     */
    InetSocketAddress destination(final int stream)
    {
        return destinations.get(stream);
    }

    /**
     * @return the stream's owner as its last answer named it.
     */
    String owner(final int stream)
    {
        return owners.get(stream);
    }

    /**
     * @return the {@link System#nanoTime()} of the stream's last answer (or of the start).
     */
    long lastAnswerNs(final int stream)
    {
        return lastAnswerNs.get(stream);
    }

    /**
     * @return every switch so far, in the order they happened per stream.
     */
    List<Switch> switches()
    {
        return new ArrayList<>(switches);
    }

    /**
     * @return requests that failed (no answer, or not 200 nor 404); each was asked again of another node.
     */
    long failedRequests()
    {
        return failedRequests.sum();
    }

    /**
     * @return answers that said no node has the route (404).
     */
    long missingRoutes()
    {
        return missingRoutes.sum();
    }

    /**
     * @return the control URL of the node that owns the stream, or null when it is none of the drill's nodes.
     */
    URI ownerUrl(final int stream)
    {
        final String owner = owners.get(stream);
        for (final MigrateDrill.Node node : nodes)
        {
            if (node.nodeId().equals(owner))
            {
                return node.controlUrl();
            }
        }
        return null;
    }

    /**
     * Stop polling; a poll under way finishes.
     */
    public void close()
    {
        pool.shutdownNow();
        try
        {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void poll(final int stream)
    {
        try
        {
            final int first = Math.max(0, indexOf(owners.get(stream)));
            for (int k = 0; k < nodes.size(); k++)
            {
                final URI ask = nodes.get((first + k) % nodes.size()).controlUrl();
                if (ask(stream, ask))
                {
                    return;
                }
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        catch (final RuntimeException ex)
        {
            // One bad answer must not end the stream's polling: count it, ask again next time.
            failedRequests.increment();
        }
    }

    /**
     * @return true when the node answered for the route.
     */
    private boolean ask(final int stream, final URI node) throws InterruptedException
    {
        final MigrateDrill.Answer answer;
        try
        {
            answer = api.route(node, firstStreamId + stream);
        }
        catch (final IOException ex)
        {
            failedRequests.increment();
            return false;
        }
        final long nowNs = System.nanoTime();
        if (404 == answer.status())
        {
            missingRoutes.increment();
            lastAnswerNs.set(stream, nowNs);
            return true;
        }
        if (200 != answer.status())
        {
            failedRequests.increment();
            return false;
        }
        final Object named = Json.object(answer.body()).get("node_id");
        final String owner = owners.get(stream);
        if (!(named instanceof String) || named.equals(owner))
        {
            lastOldNs[stream] = nowNs;
            lastAnswerNs.set(stream, nowNs);
            return true;
        }
        final InetSocketAddress relay = relayOf((String)named, node);
        if (null == relay)
        {
            // The new owner is not live yet in GET /nodes: ask again next time.
            return true;
        }
        destinations.set(stream, relay);
        final long switchNs = System.nanoTime();
        switches.add(new Switch(stream, owner, (String)named, lastOldNs[stream], switchNs));
        owners.set(stream, (String)named);
        lastOldNs[stream] = switchNs;
        lastAnswerNs.set(stream, switchNs);
        return true;
    }

    /**
     * @return where datagrams for the node go, from GET /nodes on {@code asked}: its relay_addr, or when that is a
     * wildcard the relay port on the host of its control URL; null when the node is not listed.
     */
    private InetSocketAddress relayOf(final String nodeId, final URI asked) throws InterruptedException
    {
        final List<MigrateDrill.NodeInfo> live;
        try
        {
            live = api.nodes(asked);
        }
        catch (final IOException ex)
        {
            failedRequests.increment();
            return relays.get(nodeId);
        }
        for (final MigrateDrill.NodeInfo info : live)
        {
            if (!info.nodeId().equals(nodeId))
            {
                continue;
            }
            final InetSocketAddress relay = DrillSupport.parseOrNull(info.relayAddr());
            if (null == relay)
            {
                return relays.get(nodeId);
            }
            final InetSocketAddress sendTo = relay.getAddress().isAnyLocalAddress() ?
                new InetSocketAddress(controlHost(nodeId, info, asked), relay.getPort()) : relay;
            relays.put(nodeId, sendTo);
            return sendTo;
        }
        return null;
    }

    private String controlHost(final String nodeId, final MigrateDrill.NodeInfo info, final URI asked)
    {
        final int index = indexOf(nodeId);
        if (index >= 0)
        {
            return nodes.get(index).controlUrl().getHost();
        }
        final InetSocketAddress control = DrillSupport.parseOrNull(info.controlAddr());
        return null == control || control.getAddress().isAnyLocalAddress() ? asked.getHost() :
            control.getAddress().getHostAddress();
    }

    private int indexOf(final String nodeId)
    {
        for (int i = 0; i < nodes.size(); i++)
        {
            if (nodes.get(i).nodeId().equals(nodeId))
            {
                return i;
            }
        }
        return -1;
    }
}
