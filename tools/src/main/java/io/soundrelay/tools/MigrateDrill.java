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
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static io.soundrelay.tools.DrillSupport.daemon;
import static io.soundrelay.tools.DrillSupport.parseOrNull;
import static io.soundrelay.tools.DrillSupport.rate;
import static io.soundrelay.tools.DrillSupport.waitUntil;

/**
 * The engine of {@code migrate-drill} ({@link MigrateDrillCommand}): shows that live migration between SoundRelay
 * nodes (PROTOCOL.md section 7) loses no datagram, delivers none twice and keeps every stream in order.
 * <ol>
 *   <li>GET /nodes on the first node; each control URL given is matched to a live node by its control_addr.</li>
 *   <li>One source socket and one receiver socket; a route per stream, round robin over the nodes (stream i on node
 *   i mod n): source the source socket, target the receiver socket, deliver framed.</li>
 *   <li>One {@link Sender} thread sends every stream on an absolute schedule to its owner's relay address.</li>
 *   <li>Every interval one stream moves: stream k, from its owner, node k mod n, to the next node, so every node
 *   gives and takes. POST /migrate goes to the owner and is timed until its answer; the stream keeps going to the
 *   old node for switch-after-ms, which forwards it to the new node meanwhile, then goes to the new node.</li>
 *   <li>Settle-ms after the last answer sending stops. Once the receiver has been quiet for
 *   {@link DrillSupport#QUIET_MS} ms (at most {@link DrillSupport#QUIET_DEADLINE_MS} ms) the {@link SequenceLedger}
 *   tells per stream what arrived, and the routes are deleted on their owners, also when the drill fails or stops
 *   early.</li>
 * </ol>
 * The control API is reached through a {@link NodeApi}, so that tests can run the drill against nodes of their own.
 */
final class MigrateDrill
{
    /**
     * The control-API calls the drill makes; {@link HttpNodeApi} makes them over HTTP.
     */
    interface NodeApi
    {
        /**
         * GET /nodes.
         *
         * @param node a node's control URL.
         * @return the live nodes.
         * @throws IOException when the node cannot be reached or does not answer 200 with a node list.
         */
        List<NodeInfo> nodes(URI node) throws IOException, InterruptedException;

        /**
         * POST /route {@code {"stream_id", "source_addr", "target_addrs": [target], "deliver": "framed"}},
         * expecting 201.
         *
         * @throws IOException when the node refuses (the message has the status and body) or cannot be reached.
         */
        void createRoute(URI node, long streamId, InetSocketAddress source, InetSocketAddress target)
            throws IOException, InterruptedException;

        /**
         * POST /migrate {@code {"stream_id": "<decimal>", "new_node_addr"}} to the stream's owner.
         *
         * @return the node's answer, whatever its status.
         * @throws IOException when the node cannot be reached.
         */
        Answer migrate(URI node, long streamId, String newNodeAddr) throws IOException, InterruptedException;

        /**
         * DELETE /route/{id}, expecting 204 or 404.
         *
         * @return false when the node had no such route (404).
         * @throws IOException on any other answer, or when the node cannot be reached.
         */
        boolean deleteRoute(URI node, long streamId) throws IOException, InterruptedException;

        /**
         * POST /route as {@link #createRoute} makes it, whatever the answer.
         *
         * @return the node's answer: 201 when it made the route, 503 when it takes no routes (full or draining).
         * @throws IOException when the node cannot be reached.
         */
        Answer tryCreateRoute(URI node, long streamId, InetSocketAddress source, InetSocketAddress target)
            throws IOException, InterruptedException;

        /**
         * GET /route/{id}: any node answers for any route in Redis, its owner in {@code node_id}.
         *
         * @return the node's answer, whatever its status.
         * @throws IOException when the node cannot be reached.
         */
        Answer route(URI node, long streamId) throws IOException, InterruptedException;

        /**
         * GET /readyz.
         *
         * @return its status: 200 when the node takes routes.
         * @throws IOException when the node cannot be reached.
         */
        int readyz(URI node) throws IOException, InterruptedException;
    }

    /**
     * A live node as GET /nodes lists it.
     *
     * @param relayAddr    its UDP relay socket, {@code host:port}.
     * @param controlAddr  its control API, {@code host:port}.
     * @param activeRoutes the routes it holds; 0 when not listed.
     * @param startedAt    when this instance of the node started (RFC 3339); a restart changes it. "" when not listed.
     * @param draining     true while the node drains (PROTOCOL.md section 12).
     */
    record NodeInfo(
        String nodeId, String relayAddr, String controlAddr, long activeRoutes, String startedAt, boolean draining)
    {
        NodeInfo(final String nodeId, final String relayAddr, final String controlAddr)
        {
            this(nodeId, relayAddr, controlAddr, 0, "", false);
        }

        /**
         * @param live what GET /nodes listed, or null.
         * @return the node with this id, or null when it is not listed.
         */
        static NodeInfo find(final List<NodeInfo> live, final String nodeId)
        {
            if (null != live)
            {
                for (final NodeInfo info : live)
                {
                    if (info.nodeId().equals(nodeId))
                    {
                        return info;
                    }
                }
            }
            return null;
        }
    }

    /**
     * A node's answer to a request.
     */
    record Answer(int status, String body)
    {
    }

    /**
     * A {@code --node} URL matched to a live node.
     *
     * @param relayAddr the node's relay_addr as GET /nodes gave it: what /migrate names as new_node_addr.
     * @param sendTo    where datagrams for the node go: its relay_addr or, when that is a wildcard (0.0.0.0), the
     *                  relay port on the address of the node's control URL.
     */
    record Node(String nodeId, URI controlUrl, String relayAddr, InetSocketAddress sendTo)
    {
    }

    /** How long a drill waits for every node it is given to be listed live by GET /nodes. */
    static final long JOIN_WAIT_MS = 15_000;
    private static final long JOIN_POLL_MS = 200;

    private final DrillOptions options;
    private final GeneratorOptions traffic;
    private final NodeApi api;
    private final PrintStream out;
    private final BooleanSupplier stopRequested;
    private final int streams;
    private final AtomicReferenceArray<InetSocketAddress> destinations;
    private final int[] owners;
    private final SequenceLedger ledger;
    private final SendCounters counters;
    private final List<Attempt> attempts = new ArrayList<>();
    private List<Node> nodes = List.of();
    private int routesCreated;
    private boolean graceWarned;
    private boolean ran;

    /**
     * @param out           where progress lines go.
     * @param stopRequested polled while the drill waits: true ends it early (Ctrl-C), still deleting the routes.
     */
    MigrateDrill(
        final DrillOptions options, final NodeApi api, final PrintStream out, final BooleanSupplier stopRequested)
    {
        this.options = options;
        this.traffic = options.traffic();
        this.api = api;
        this.out = out;
        this.stopRequested = stopRequested;
        this.streams = traffic.streams();
        this.destinations = new AtomicReferenceArray<>(streams);
        this.owners = new int[streams];
        this.ledger = new SequenceLedger(traffic.firstStreamId(), streams, 0);
        this.counters = new SendCounters(streams);
    }

    /**
     * Run the drill once: match the nodes, create the routes, send and migrate, count, delete the routes.
     *
     * @return what was sent, what arrived and how each migration went.
     * @throws IOException when the drill cannot run: GET /nodes fails, a --node matches no live node, a socket
     *                     cannot be bound, or a node refuses a route. Routes created by then are deleted.
     */
    DrillReport run() throws IOException, InterruptedException
    {
        if (ran)
        {
            throw new IllegalStateException("a MigrateDrill runs once");
        }
        ran = true;

        nodes = matchJoined(api, options.nodes(), out);
        out.println("migrate-drill: " + nodes.size() + " nodes: " + nodes.stream()
            .map((node) -> node.nodeId() + " (" + node.controlUrl() + ", relay " + node.relayAddr() + ")")
            .collect(Collectors.joining(", ")));

        final ScheduledExecutorService switches = Executors.newSingleThreadScheduledExecutor((task) ->
            daemon(task, "soundrelay-drill-switch"));
        boolean completed = false;
        long sendNs = 0;
        int routeErrors = 0;
        DrillTraffic sockets = null;
        try
        {
            sockets = DrillTraffic.open(traffic, ledger, out);
            if (createRoutes(sockets.sourceAddress(), sockets.sinkAddress()))
            {
                sockets.startSending(destinations::get, streams, counters);
                completed = migrate(sockets.startNs(), switches);
                sendNs = sockets.stopSending();
                out.println("migrate-drill: sending " + (completed ? "done" : "stopped") + ", " +
                    counters.sent.sum() + " datagrams; waiting for the receiver to go quiet");
                sockets.awaitReceived(stopRequested);
            }
        }
        finally
        {
            if (null != sockets)
            {
                sockets.close(); // the sender first
            }
            switches.shutdownNow();
            routeErrors = deleteRoutes();
        }
        return report(completed, sendNs, routeErrors);
    }

    /**
     * {@link #match} what GET /nodes lists, asking again until every URL matches or {@link #JOIN_WAIT_MS} has passed:
     * a node that has just started is listed once its first heartbeat is written, which follows its subscription.
     *
     * @param api  the nodes' API.
     * @param urls the control URLs the user named.
     * @param out  where a line says the drill is waiting.
     * @return the nodes, in the order of the URLs.
     * @throws IOException as {@link #match} throws it, or GET /nodes failing, once the wait is over.
     */
    static List<Node> matchJoined(final NodeApi api, final List<URI> urls, final PrintStream out)
        throws IOException, InterruptedException
    {
        final URI first = urls.get(0);
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(JOIN_WAIT_MS);
        boolean said = false;
        while (true)
        {
            try
            {
                return match(urls, api.nodes(first), first);
            }
            catch (final IOException ex)
            {
                if (System.nanoTime() - deadline >= 0)
                {
                    throw ex;
                }
                if (!said)
                {
                    out.println("waiting up to " + JOIN_WAIT_MS / 1000 + " s for every --node to be listed live: " +
                        ex.getMessage());
                    said = true;
                }
                Thread.sleep(JOIN_POLL_MS);
            }
        }
    }

    /**
     * Match each control URL to the live node whose control_addr has its host and port. A node that reports a
     * wildcard control_addr (0.0.0.0:4300) matches on the port alone, when it is the only such node with that port.
     *
     * @param live  what GET /nodes listed.
     * @param asked the URL that answered GET /nodes, for messages.
     * @return the nodes, in the order of the URLs.
     * @throws IOException naming a URL that matches no live node, or two that match the same, and listing the nodes.
     */
    static List<Node> match(final List<URI> urls, final List<NodeInfo> live, final URI asked) throws IOException
    {
        final List<Node> matched = new ArrayList<>();
        for (final URI url : urls)
        {
            final InetSocketAddress control = resolve(url);
            NodeInfo found = null;
            final List<NodeInfo> wildcards = new ArrayList<>();
            for (final NodeInfo info : live)
            {
                final InetSocketAddress address = parseOrNull(info.controlAddr());
                if (null == address || address.getPort() != control.getPort())
                {
                    continue;
                }
                if (address.getAddress().equals(control.getAddress()))
                {
                    found = info;
                    break;
                }
                if (address.getAddress().isAnyLocalAddress())
                {
                    wildcards.add(info);
                }
            }
            if (null == found && 1 == wildcards.size())
            {
                found = wildcards.get(0);
            }
            if (null == found)
            {
                throw new IOException("--node " + url + " matches no live node by control_addr: " +
                    listing(asked, live));
            }
            for (final Node node : matched)
            {
                if (node.nodeId().equals(found.nodeId()))
                {
                    throw new IOException("--node " + node.controlUrl() + " and --node " + url + " are the same " +
                        "node, " + found.nodeId() + ": " + listing(asked, live));
                }
            }
            final InetSocketAddress relay = parseOrNull(found.relayAddr());
            if (null == relay)
            {
                throw new IOException("node " + found.nodeId() + " has relay_addr '" + found.relayAddr() +
                    "', not host:port: " + listing(asked, live));
            }
            final InetSocketAddress sendTo = relay.getAddress().isAnyLocalAddress() ?
                new InetSocketAddress(control.getAddress(), relay.getPort()) : relay;
            matched.add(new Node(found.nodeId(), url, found.relayAddr(), sendTo));
        }
        return List.copyOf(matched);
    }

    private boolean createRoutes(final InetSocketAddress source, final InetSocketAddress sink)
        throws IOException, InterruptedException
    {
        for (int i = 0; i < streams; i++)
        {
            if (stopRequested.getAsBoolean())
            {
                return false;
            }
            final int owner = i % nodes.size();
            api.createRoute(nodes.get(owner).controlUrl(), streamId(i), source, sink);
            owners[i] = owner;
            destinations.set(i, nodes.get(owner).sendTo());
            routesCreated = i + 1;
        }
        out.println(String.format(Locale.ROOT,
            "migrate-drill: created %d routes (streams %s..%s, round robin over the nodes) from %s to %s, framed; " +
            "sending %s pps per stream, %d-byte payloads", streams, Long.toUnsignedString(streamId(0)),
            Long.toUnsignedString(streamId(streams - 1)), RouteClient.format(source), RouteClient.format(sink),
            rate(traffic.ppsPerStream()), traffic.payloadBytes()));
        return true;
    }

    /**
     * Migrate on schedule, then let the traffic settle.
     *
     * @return false when a stop was requested first.
     */
    private boolean migrate(final long startNs, final ScheduledExecutorService switches) throws InterruptedException
    {
        final long intervalNs = TimeUnit.MILLISECONDS.toNanos(options.intervalMs());
        long lastAnswerNs = startNs;
        for (int k = 0; k < options.migrations(); k++)
        {
            if (!waitUntil(startNs + (k + 1) * intervalNs, stopRequested))
            {
                return false;
            }
            lastAnswerNs = migrateOne(k, switches);
        }
        if (!waitUntil(lastAnswerNs + TimeUnit.MILLISECONDS.toNanos(options.settleMs()), stopRequested))
        {
            return false;
        }
        // Every switch was due before the settle time ended: see that each ran before sending stops.
        for (final Attempt attempt : attempts)
        {
            if (null != attempt.switchTask)
            {
                try
                {
                    attempt.switchTask.get();
                }
                catch (final ExecutionException ex)
                {
                    throw new IllegalStateException(ex.getCause());
                }
            }
        }
        return true;
    }

    /**
     * Migrate stream {@code k} from its owner, node {@code k mod n}, to the next node.
     *
     * @return when the answer came, on the {@link System#nanoTime()} clock.
     */
    private long migrateOne(final int k, final ScheduledExecutorService switches) throws InterruptedException
    {
        final int stream = k;
        final long streamId = streamId(stream);
        final Node from = nodes.get(owners[stream]);
        final int toIndex = (owners[stream] + 1) % nodes.size();
        final Node to = nodes.get(toIndex);

        int status;
        String body;
        final long requestNs = System.nanoTime();
        try
        {
            final Answer answer = api.migrate(from.controlUrl(), streamId, to.relayAddr());
            status = answer.status();
            body = null == answer.body() ? "" : answer.body();
        }
        catch (final IOException ex)
        {
            status = 0;
            body = ex.getMessage();
        }
        final long answerNs = System.nanoTime();
        final double millis = (answerNs - requestNs) / 1e6;

        final Attempt attempt = new Attempt(stream, from, to, status, body, millis);
        attempts.add(attempt);
        if (200 == status)
        {
            owners[stream] = toIndex;
            final InetSocketAddress newDestination = newDestination(body, to);
            attempt.switchTask = switches.schedule(() -> destinations.set(stream, newDestination),
                options.switchAfterMs(), TimeUnit.MILLISECONDS);
        }
        out.println(String.format(Locale.ROOT, "migration %d/%d: stream %s %s -> %s: %s in %.1f ms", k + 1,
            options.migrations(), Long.toUnsignedString(streamId), from.nodeId(), to.nodeId(),
            200 == status ? "ok" : 0 == status ? "no answer (" + body + ")" : status + " " + body, millis));
        out.flush();
        return answerNs;
    }

    /**
     * @param body a 200 answer: {@code {"stream_id", "from_node", "to_node", "new_node_addr", "status",
     *             "grace_seconds"}}.
     * @return where the stream goes after the switch: the answer's new_node_addr (a wildcard host taken from the new
     * node's control URL), else the new node's relay address. Warns, once, when the switch comes after the old
     * node's grace window.
     */
    private InetSocketAddress newDestination(final String body, final Node to)
    {
        final Map<String, Object> answer;
        try
        {
            answer = Json.object(body);
        }
        catch (final IllegalArgumentException ex)
        {
            return to.sendTo();
        }
        final Object grace = answer.get("grace_seconds");
        if (!graceWarned && grace instanceof Double && options.switchAfterMs() >= (Double)grace * 1000)
        {
            graceWarned = true;
            out.println("migrate-drill: warning: --switch-after-ms=" + options.switchAfterMs() + " is not less " +
                "than the node's grace window (grace_seconds " + grace + "): datagrams the old node gets after the " +
                "window are dropped");
        }
        final Object named = answer.get("new_node_addr");
        final InetSocketAddress address = named instanceof String ? parseOrNull((String)named) : null;
        if (null == address || named.equals(to.relayAddr()))
        {
            return to.sendTo();
        }
        return address.getAddress().isAnyLocalAddress() ?
            new InetSocketAddress(to.sendTo().getAddress(), address.getPort()) : address;
    }

    /**
     * Delete every route on its current owner; a 404 means it is gone already.
     *
     * @return deletions that failed.
     */
    private int deleteRoutes() throws InterruptedException
    {
        int errors = 0;
        int deleted = 0;
        for (int i = 0; i < routesCreated; i++)
        {
            try
            {
                if (api.deleteRoute(nodes.get(owners[i]).controlUrl(), streamId(i)))
                {
                    deleted++;
                }
            }
            catch (final IOException ex)
            {
                out.println("migrate-drill: " + ex.getMessage());
                errors++;
            }
        }
        if (routesCreated > 0)
        {
            out.println("migrate-drill: deleted " + deleted + " of " + routesCreated + " routes" +
                (0 == errors ? "" : ", " + errors + " failed"));
        }
        return errors;
    }

    private DrillReport report(final boolean completed, final long sendNs, final int routeErrors)
    {
        final List<DrillReport.Migration> migrations = new ArrayList<>();
        final boolean[] migrated = new boolean[streams];
        for (final Attempt attempt : attempts)
        {
            migrated[attempt.stream] |= 200 == attempt.status;
            final Future<?> task = attempt.switchTask;
            migrations.add(new DrillReport.Migration(streamId(attempt.stream), attempt.from.nodeId(),
                attempt.to.nodeId(), attempt.to.relayAddr(), attempt.status, 200 == attempt.status ? "" : attempt.body,
                attempt.millis, null != task && task.isDone() && !task.isCancelled()));
        }
        final List<DrillReport.StreamResult> results = new ArrayList<>();
        for (int i = 0; i < Math.min(routesCreated, streams); i++)
        {
            results.add(new DrillReport.StreamResult(streamId(i), nodes.get(owners[i]).nodeId(), migrated[i],
                ledger.counts(i, counters.sentPerStream[i])));
        }
        return new DrillReport(options, nodes, results, migrations, ledger.received(), ledger.corrupt(),
            ledger.unknownStream(), counters.sendErrors.sum(), routeErrors, completed, sendNs);
    }

    private long streamId(final int streamIndex)
    {
        return traffic.firstStreamId() + streamIndex;
    }

    private static String listing(final URI asked, final List<NodeInfo> live)
    {
        final String what = live.isEmpty() ? "no node (do the nodes share a Redis?)" : live.size() + " nodes: " +
            live.stream()
                .map((info) -> info.nodeId() + " (control " + info.controlAddr() + ", relay " + info.relayAddr() + ")")
                .collect(Collectors.joining(", "));
        return "GET /nodes on " + asked + " lists " + what;
    }

    private static InetSocketAddress resolve(final URI url) throws IOException
    {
        try
        {
            return new InetSocketAddress(InetAddress.getByName(url.getHost()), DrillOptions.port(url));
        }
        catch (final UnknownHostException ex)
        {
            throw new IOException("--node " + url + ": unknown host " + url.getHost(), ex);
        }
    }

    /**
     * One migration as it went; the switch task is set once the node said yes.
     */
    private static final class Attempt
    {
        private final int stream;
        private final Node from;
        private final Node to;
        private final int status;
        private final String body;
        private final double millis;
        private Future<?> switchTask;

        Attempt(
            final int stream,
            final Node from,
            final Node to,
            final int status,
            final String body,
            final double millis)
        {
            this.stream = stream;
            this.from = from;
            this.to = to;
            this.status = status;
            this.body = body;
            this.millis = millis;
        }
    }
}
