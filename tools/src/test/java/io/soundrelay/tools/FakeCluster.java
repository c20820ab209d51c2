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

import io.soundrelay.protocol.FrameFlyweight;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stand-in nodes for the migrate drill's tests, no HTTP: the drill's control-API calls ({@link MigrateDrill.NodeApi})
 * answered in Java, and nodes that relay UDP themselves, each on its own socket and thread, as PROTOCOL.md sections
 * 1 and 7 have a node do it:
 * <ul>
 *   <li>a frame from the route's source goes to the route's target, whole (deliver framed);</li>
 *   <li>after a migration the old node forwards the stream's frames to the new node's relay socket with the HOP flag
 *   set; the new node takes HOP frames only from a node's relay socket and delivers them, flag and all;</li>
 *   <li>anything else is dropped.</li>
 * </ul>
 * A migration hands the route over at once, and the old node forwards for as long as the test runs (the grace
 * window). Faults: a node can drop the first frame it forwards by HOP; the n-th migration can be refused.
 */
final class FakeCluster implements MigrateDrill.NodeApi, AutoCloseable
{
    private static final int FIRST_CONTROL_PORT = 14_300;

    private final List<Node> nodes = new ArrayList<>();
    private final AtomicInteger migrationCalls = new AtomicInteger();
    private final AtomicInteger routeRequests = new AtomicInteger();
    private volatile int refusedMigration = -1;

    FakeCluster(final int nodeCount) throws IOException
    {
        try
        {
            for (int i = 0; i < nodeCount; i++)
            {
                nodes.add(new Node(this, "node-" + i, URI.create("http://127.0.0.1:" + (FIRST_CONTROL_PORT + i))));
            }
        }
        catch (final IOException ex)
        {
            close();
            throw ex;
        }
    }

    Node node(final int index)
    {
        return nodes.get(index);
    }

    /**
     * @return the control URLs, the drill's --node values.
     */
    List<String> urls()
    {
        final List<String> urls = new ArrayList<>();
        for (final Node node : nodes)
        {
            urls.add(node.controlUrl.toString());
        }
        return urls;
    }

    /**
     * Refuse the migration requested {@code index}-th (0-based) with 409.
     */
    void refuseMigration(final int index)
    {
        refusedMigration = index;
    }

    /**
     * @return routes held by any node.
     */
    int routes()
    {
        int routes = 0;
        for (final Node node : nodes)
        {
            routes += node.routes.size();
        }
        return routes;
    }

    public List<MigrateDrill.NodeInfo> nodes(final URI url) throws IOException
    {
        byUrl(url);
        final List<MigrateDrill.NodeInfo> live = new ArrayList<>();
        for (final Node node : nodes)
        {
            if (!node.down)
            {
                live.add(new MigrateDrill.NodeInfo(node.nodeId, node.relayAddr(),
                    node.controlUrl.getHost() + ":" + node.controlUrl.getPort(), node.routes.size(), node.startedAt,
                    node.draining));
            }
        }
        return live;
    }

    public void createRoute(
        final URI url, final long streamId, final InetSocketAddress source, final InetSocketAddress target)
        throws IOException
    {
        final Node node = byUrl(url);
        for (final Node other : nodes)
        {
            if (other.routes.containsKey(streamId))
            {
                throw new IOException("POST " + url + "/route: expected 201, node answered 409");
            }
        }
        node.routes.put(streamId, new Route(source, target));
    }

    public MigrateDrill.Answer migrate(final URI url, final long streamId, final String newNodeAddr)
        throws IOException
    {
        final Node from = byUrl(url);
        if (migrationCalls.getAndIncrement() == refusedMigration)
        {
            return new MigrateDrill.Answer(409, "{\"error\":\"stream is busy\"}");
        }
        final Route route = from.routes.get(streamId);
        if (null == route)
        {
            return new MigrateDrill.Answer(404, "{\"error\":\"no route " + Long.toUnsignedString(streamId) + "\"}");
        }
        Node to = null;
        for (final Node node : nodes)
        {
            if (node != from && node.relayAddr().equals(newNodeAddr))
            {
                to = node;
            }
        }
        if (null == to)
        {
            return new MigrateDrill.Answer(400, "{\"error\":\"not a live node\",\"field\":\"new_node_addr\"}");
        }

        // The new node holds the route before the old one lets go: a frame finds one of the two ways.
        to.routes.put(streamId, route);
        from.forwarding.put(streamId, new Forward(to, route.source()));
        from.routes.remove(streamId);
        return new MigrateDrill.Answer(200, "{\"stream_id\":\"" + Long.toUnsignedString(streamId) + "\"," +
            "\"from_node\":\"" + from.nodeId + "\",\"to_node\":\"" + to.nodeId + "\",\"new_node_addr\":\"" +
            newNodeAddr + "\",\"status\":\"migrating\",\"grace_seconds\":30}");
    }

    public boolean deleteRoute(final URI url, final long streamId) throws IOException
    {
        final Node node = byUrl(url);
        for (final Node other : nodes)
        {
            other.forwarding.remove(streamId);
        }
        return null != node.routes.remove(streamId);
    }

    public MigrateDrill.Answer tryCreateRoute(
        final URI url, final long streamId, final InetSocketAddress source, final InetSocketAddress target)
        throws IOException
    {
        final Node node = byUrl(url);
        if (node.full || node.draining)
        {
            return new MigrateDrill.Answer(503, "{\"error\":\"node " + node.nodeId +
                (node.draining ? " is draining" : " is at MAX_STREAMS_PER_NODE") + "\"}");
        }
        try
        {
            createRoute(url, streamId, source, target);
        }
        catch (final IOException ex)
        {
            return new MigrateDrill.Answer(409, "{\"error\":\"stream exists\"}");
        }
        return new MigrateDrill.Answer(201, "{}");
    }

    public MigrateDrill.Answer route(final URI url, final long streamId) throws IOException
    {
        byUrl(url);
        routeRequests.incrementAndGet();
        for (final Node node : nodes)
        {
            if (node.routes.containsKey(streamId))
            {
                return new MigrateDrill.Answer(200, "{\"stream_id\":\"" + Long.toUnsignedString(streamId) +
                    "\",\"node_id\":\"" + node.nodeId + "\"}");
            }
        }
        return new MigrateDrill.Answer(404, "{\"error\":\"no route\"}");
    }

    public int readyz(final URI url) throws IOException
    {
        final Node node = byUrl(url);
        return node.draining || node.full ? 503 : 200;
    }

    /**
     * @return GET /route/{id} requests answered.
     */
    int routeRequests()
    {
        return routeRequests.get();
    }

    /**
     * Restart a node as SIGTERM with the drain does it (PROTOCOL.md section 12): it stops taking routes, hands each
     * route to the least-loaded live peer as a migration does, forwards until no frame came from a source for
     * {@code quietMs} (at most 10 s), exits, and starts again a new instance.
     *
     * @param forward false to stop forwarding at once: a drain that loses what sources send before they move.
     * @return the node's exit status, 0.
     */
    int restart(final int index, final long quietMs, final boolean forward) throws InterruptedException
    {
        final Node node = nodes.get(index);
        node.draining = true;
        for (final Long streamId : new ArrayList<>(node.routes.keySet()))
        {
            Node to = null;
            for (final Node peer : nodes)
            {
                if (peer != node && !peer.down && !peer.draining &&
                    (null == to || peer.routes.size() < to.routes.size()))
                {
                    to = peer;
                }
            }
            final Route route = node.routes.get(streamId);
            to.routes.put(streamId, route);
            if (forward)
            {
                node.forwarding.put(streamId, new Forward(to, route.source()));
            }
            node.routes.remove(streamId);
        }
        final long deadlineNs = System.nanoTime() + 10_000_000_000L;
        node.lastFromSourceNs = System.nanoTime();
        while (System.nanoTime() - node.lastFromSourceNs < quietMs * 1_000_000L && System.nanoTime() < deadlineNs)
        {
            Thread.sleep(10);
        }
        node.down = true;
        node.forwarding.clear();
        Thread.sleep(quietMs);
        node.startedAt = "restarted-" + System.nanoTime();
        node.draining = false;
        node.down = false;
        return 0;
    }

    /**
     * Take a node off the network: its control API and its relay answer nothing.
     */
    void takeDown(final int index)
    {
        nodes.get(index).down = true;
    }

    /**
     * Make a node answer 503 to route creates, as at MAX_STREAMS_PER_NODE.
     */
    void fill(final int index)
    {
        nodes.get(index).full = true;
    }

    public void close()
    {
        for (final Node node : nodes)
        {
            node.close();
        }
    }

    private Node byUrl(final URI url) throws IOException
    {
        for (final Node node : nodes)
        {
            if (node.controlUrl.equals(url) && !node.down)
            {
                return node;
            }
        }
        throw new IOException(url + ": cannot reach the node");
    }

    private boolean isRelay(final InetSocketAddress address)
    {
        for (final Node node : nodes)
        {
            if (node.relay.equals(address))
            {
                return true;
            }
        }
        return false;
    }

    private record Route(InetSocketAddress source, InetSocketAddress target)
    {
    }

    private record Forward(Node to, InetSocketAddress source)
    {
    }

    /**
     * The sequences one node saw of one stream.
     */
    static final class Trace
    {
        /** Frames that came from the source: delivered, or forwarded by HOP. */
        final Queue<Long> fromSource = new ConcurrentLinkedQueue<>();
        /** Frames forwarded to the new node. */
        final Queue<Long> hopOut = new ConcurrentLinkedQueue<>();
        /** Frames the old node forwarded here. */
        final Queue<Long> hopIn = new ConcurrentLinkedQueue<>();
    }

    /**
     * One fake node: a relay socket and the thread that serves it.
     */
    static final class Node
    {
        private final FakeCluster cluster;
        private final String nodeId;
        private final URI controlUrl;
        private final DatagramChannel channel;
        private final InetSocketAddress relay;
        private final Thread thread;
        private final Map<Long, Route> routes = new ConcurrentHashMap<>();
        private final Map<Long, Forward> forwarding = new ConcurrentHashMap<>();
        private final Map<Long, Trace> traces = new ConcurrentHashMap<>();
        private final AtomicBoolean dropFirstHop = new AtomicBoolean();
        private final FrameFlyweight frame = new FrameFlyweight();
        private volatile boolean down;
        private volatile boolean draining;
        private volatile boolean full;
        private volatile String startedAt = "started-" + System.nanoTime();
        private volatile long lastFromSourceNs;

        Node(final FakeCluster cluster, final String nodeId, final URI controlUrl) throws IOException
        {
            this.cluster = cluster;
            this.nodeId = nodeId;
            this.controlUrl = controlUrl;
            this.channel = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
            this.relay = (InetSocketAddress)channel.getLocalAddress();
            this.thread = new Thread(this::run, "fake-" + nodeId);
            thread.setDaemon(true);
            thread.start();
        }

        String nodeId()
        {
            return nodeId;
        }

        URI controlUrl()
        {
            return controlUrl;
        }

        String relayAddr()
        {
            return RouteClient.format(relay);
        }

        /**
         * Drop the first frame this node would forward by HOP.
         */
        void dropFirstHop()
        {
            dropFirstHop.set(true);
        }

        /**
         * @return what this node saw of the stream; read it once the drill is over.
         */
        Trace trace(final long streamId)
        {
            return traces.computeIfAbsent(streamId, (id) -> new Trace());
        }

        void close()
        {
            try
            {
                channel.close();
                thread.join();
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }

        private void run()
        {
            final ByteBuffer buffer = ByteBuffer.allocate(65_536);
            try
            {
                while (true)
                {
                    buffer.clear();
                    final InetSocketAddress from = (InetSocketAddress)channel.receive(buffer);
                    buffer.flip();
                    onDatagram(buffer, from);
                }
            }
            catch (final ClosedChannelException ex)
            {
                // closed by the test
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex);
            }
        }

        private void onDatagram(final ByteBuffer buffer, final InetSocketAddress from) throws IOException
        {
            frame.wrap(buffer, 0);
            if (down || !frame.isValidHeader(buffer.limit()))
            {
                return;
            }
            final long streamId = frame.streamId();
            final long sequence = frame.sequence();
            final Route route = routes.get(streamId);
            if ((frame.flags() & FrameFlyweight.HOP_FLAG) != 0)
            {
                if (null != route && cluster.isRelay(from))
                {
                    trace(streamId).hopIn.add(sequence);
                    channel.send(buffer, route.target());
                }
                return;
            }
            if (null != route)
            {
                if (route.source().equals(from))
                {
                    trace(streamId).fromSource.add(sequence);
                    channel.send(buffer, route.target());
                }
                return;
            }
            final Forward forward = forwarding.get(streamId);
            if (null != forward && forward.source().equals(from))
            {
                lastFromSourceNs = System.nanoTime();
                trace(streamId).fromSource.add(sequence);
                if (dropFirstHop.compareAndSet(true, false))
                {
                    return;
                }
                trace(streamId).hopOut.add(sequence);
                buffer.put(FrameFlyweight.FLAGS_OFFSET, (byte)(frame.flags() | FrameFlyweight.HOP_FLAG));
                channel.send(buffer, forward.to().relay);
            }
        }
    }
}
