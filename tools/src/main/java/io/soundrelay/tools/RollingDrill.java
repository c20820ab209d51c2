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
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

import static io.soundrelay.tools.DrillSupport.daemon;
import static io.soundrelay.tools.DrillSupport.rate;
import static io.soundrelay.tools.DrillSupport.waitUntil;

/**
 * The engine of {@code rolling-drill} ({@link RollingDrillCommand}): shows that a rolling restart of SoundRelay nodes
 * (PROTOCOL.md section 12: a node told SIGTERM hands its routes to its peers and exits 0) loses no datagram, delivers
 * none twice (reordered datagrams are counted), with sources that follow their routes' owners the way the clients do.
 * <ol>
 *   <li>GET /nodes on the first node; each control URL given is matched to a live node by its control_addr.</li>
 *   <li>One source socket and one receiver socket; a route per stream on the least-loaded node (the next one when a
 *   node answers 503): source the source socket, target the receiver socket, deliver framed.</li>
 *   <li>One {@link Sender} thread sends every stream on an absolute schedule to the node its {@link OwnerFollower}
 *   names: each stream polls GET /route/{id} every check interval and moves when the owner changes.</li>
 *   <li>After settle-ms, for each node in turn: the {@link Restart} runs (the user's command: SIGTERM the node, start
 *   it again); the drill watches GET /nodes for the node's heartbeat to go or change (the drain's end) and for the
 *   new instance to be listed, not draining, and ready (GET /readyz 200), and waits until every stream has answered
 *   since then naming a live owner; then settle-ms, and the next node.</li>
 *   <li>After the last node and settle-ms sending stops; once the receiver has been quiet the {@link SequenceLedger}
 *   tells per stream what arrived, and the routes are deleted on their owners, also when the drill fails or stops
 *   early.</li>
 * </ol>
 */
public final class RollingDrill
{
    /** How often a restart is watched: GET /nodes and GET /readyz. */
    static final long WATCH_MS = 100;

    /**
     * Restarts one node: sends it SIGTERM, and starts it again once it exited.
     */
    @FunctionalInterface
    public interface Restart
    {
        /**
         * @param nodeId     the node's NODE_ID, as GET /nodes lists it.
         * @param controlUrl the node's control URL, as the drill was given it.
         * @return the restart's exit status: the command's, or the node's when the restart knows it; 0 is success.
         * @throws IOException when the restart cannot run.
         */
        int restart(String nodeId, URI controlUrl) throws IOException, InterruptedException;

        /**
         * @return what the drill prints as the restart of the node.
         */
        default String describe(final String nodeId, final URI controlUrl)
        {
            return "restart";
        }
    }

    /**
     * One node's restart as it went.
     *
     * @param restartStatus   the restart's exit status, or -1 when it did not finish.
     * @param drainMs         from the restart's start until the node's heartbeat was gone or its instance new; -1
     *                        when not seen.
     * @param backMs          from the restart's start until the new instance was listed, not draining, and ready;
     *                        -1 when not seen.
     * @param streamsMoved    streams whose source moved off the node.
     * @param slowestSwitchMs the slowest of those moves, at most: from the last answer still naming this node to the
     *                        source sending to the new owner.
     * @param failure         why the node's restart failed, or null.
     */
    public record Roll(
        String nodeId,
        int restartStatus,
        double drainMs,
        double backMs,
        int streamsMoved,
        double slowestSwitchMs,
        String failure)
    {
    }

    private final RollingDrillOptions options;
    private final GeneratorOptions traffic;
    private final MigrateDrill.NodeApi api;
    private final Restart restart;
    private final PrintStream out;
    private final BooleanSupplier stopRequested;
    private final int streams;
    private final String[] owners;
    private final SequenceLedger ledger;
    private final SendCounters counters;
    private final List<Roll> rolls = new ArrayList<>();
    private List<MigrateDrill.Node> nodes = List.of();
    private OwnerFollower follower;
    private int routesCreated;
    private boolean ran;

    /**
     * @param restart       restarts one node; the command's {@link ShellRestart}, or a test's.
     * @param out           where progress lines go.
     * @param stopRequested polled while the drill waits: true ends it early (Ctrl-C), still deleting the routes.
     */
    RollingDrill(
        final RollingDrillOptions options,
        final MigrateDrill.NodeApi api,
        final Restart restart,
        final PrintStream out,
        final BooleanSupplier stopRequested)
    {
        this.options = options;
        this.traffic = options.traffic();
        this.api = api;
        this.restart = restart;
        this.out = out;
        this.stopRequested = stopRequested;
        this.streams = traffic.streams();
        this.owners = new String[streams];
        this.ledger = new SequenceLedger(traffic.firstStreamId(), streams, 0);
        this.counters = new SendCounters(streams);
    }

    /**
     * Run a rolling drill from code, as {@code rolling-drill} runs it from the command line, with a restart of the
     * caller's: for tests that restart nodes they started themselves.
     *
     * @param nodes     the nodes' control URLs, the order of the roll.
     * @param apiKey    sent as {@code Authorization: Bearer}, or null for none.
     * @param streams   streams at 50 pps, framed.
     * @param checkMs   how often each stream's source asks for its route's owner.
     * @param settleMs  the wait after each node is back, and before the first.
     * @param timeoutMs the longest one node may take to drain, come back, be ready and be followed.
     * @param out       where progress lines go.
     * @return what was sent, what arrived and how each node's restart went.
     * @throws IllegalArgumentException naming the option at fault, as the command would.
     * @throws IOException              when the drill cannot run.
     */
    public static RollingReport run(
        final List<String> nodes,
        final String apiKey,
        final int streams,
        final long checkMs,
        final long settleMs,
        final long timeoutMs,
        final Restart restart,
        final PrintStream out) throws IOException, InterruptedException
    {
        final RollingDrillOptions options = RollingDrillOptions.builder()
            .nodes(nodes)
            .apiKey(apiKey)
            .restartGiven()
            .streams(streams)
            .checkMs(checkMs)
            .settleMs(settleMs)
            .timeoutMs(timeoutMs)
            .firstStreamId(ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE / 2))
            .build();
        return new RollingDrill(options, new HttpNodeApi(options.apiKey()), restart, out, () -> false).run();
    }

    /**
     * Run the drill once: match the nodes, create the routes, send while each node restarts, count, delete the
     * routes.
     *
     * @return what was sent, what arrived and how each node's restart went.
     * @throws IOException when the drill cannot run: GET /nodes fails, a --node matches no live node, a socket cannot
     *                     be bound, or every node refuses a route. Routes created by then are deleted.
     */
    RollingReport run() throws IOException, InterruptedException
    {
        if (ran)
        {
            throw new IllegalStateException("a RollingDrill runs once");
        }
        ran = true;

        nodes = MigrateDrill.matchJoined(api, options.nodes(), out);
        final List<MigrateDrill.NodeInfo> live = api.nodes(options.nodes().get(0));
        out.println("rolling-drill: " + nodes.size() + " nodes, restarted in this order: " + nodes.stream()
            .map((node) -> node.nodeId() + " (" + node.controlUrl() + ", relay " + node.relayAddr() + ")")
            .collect(Collectors.joining(", ")));

        final ExecutorService restarts = Executors.newSingleThreadExecutor((task) ->
            daemon(task, "soundrelay-drill-restart"));
        boolean completed = false;
        long sendNs = 0;
        int routeErrors = 0;
        DrillTraffic sockets = null;
        try
        {
            sockets = DrillTraffic.open(traffic, ledger, out);
            if (createRoutes(live, sockets.sourceAddress(), sockets.sinkAddress()))
            {
                follower = new OwnerFollower(api, nodes, traffic.firstStreamId(), options.checkMs(), owners);
                sockets.startSending(follower::destination, streams, counters);
                follower.start();
                completed = roll(restarts);
                sendNs = sockets.stopSending();
                out.println("rolling-drill: sending " + (completed ? "done" : "stopped") + ", " +
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
            if (null != follower)
            {
                follower.close();
            }
            restarts.shutdownNow();
            routeErrors = deleteRoutes();
        }
        return report(completed, sendNs, routeErrors);
    }

    /**
     * A route per stream on the least-loaded node, by GET /nodes' active_routes and the routes made since; a node
     * that answers 503 (full, or draining) is passed over for the next.
     *
     * @return false when a stop was requested first.
     * @throws IOException when a node refuses a route with anything but 503, or every node answers 503.
     */
    private boolean createRoutes(
        final List<MigrateDrill.NodeInfo> live, final InetSocketAddress source, final InetSocketAddress sink)
        throws IOException, InterruptedException
    {
        final long[] loads = new long[nodes.size()];
        for (int n = 0; n < nodes.size(); n++)
        {
            for (final MigrateDrill.NodeInfo info : live)
            {
                if (info.nodeId().equals(nodes.get(n).nodeId()))
                {
                    loads[n] = info.activeRoutes();
                }
            }
        }
        final Set<Integer> refusing = new HashSet<>();
        for (int i = 0; i < streams; i++)
        {
            if (stopRequested.getAsBoolean())
            {
                return false;
            }
            final int owner = createRoute(i, loads, refusing, source, sink);
            owners[i] = nodes.get(owner).nodeId();
            loads[owner]++;
            routesCreated = i + 1;
        }
        out.println(String.format(Locale.ROOT,
            "rolling-drill: created %d routes (streams %s..%s, least loaded first: %s) from %s to %s, framed; " +
            "sending %s pps per stream, %d-byte payloads; each source asks for its owner every %d ms", streams,
            Long.toUnsignedString(streamId(0)), Long.toUnsignedString(streamId(streams - 1)), perNode(),
            RouteClient.format(source), RouteClient.format(sink), rate(traffic.ppsPerStream()),
            traffic.payloadBytes(), options.checkMs()));
        return true;
    }

    /**
     * @return the index of the node that made the route.
     */
    private int createRoute(
        final int stream,
        final long[] loads,
        final Set<Integer> refusing,
        final InetSocketAddress source,
        final InetSocketAddress sink) throws IOException, InterruptedException
    {
        final List<Integer> order = new ArrayList<>();
        for (int n = 0; n < nodes.size(); n++)
        {
            order.add(n);
        }
        order.sort(Comparator.comparingLong((Integer n) -> loads[n]).thenComparingInt((n) -> n));
        final List<String> refusals = new ArrayList<>();
        for (final int n : order)
        {
            if (refusing.contains(n))
            {
                continue;
            }
            final URI url = nodes.get(n).controlUrl();
            final MigrateDrill.Answer answer = api.tryCreateRoute(url, streamId(stream), source, sink);
            if (201 == answer.status())
            {
                return n;
            }
            if (503 != answer.status())
            {
                throw new IOException("POST " + url.resolve("/route") + " (stream " +
                    Long.toUnsignedString(streamId(stream)) + "): expected 201, node answered " + answer.status() +
                    " " + answer.body());
            }
            refusing.add(n);
            refusals.add(nodes.get(n).nodeId() + ": 503 " + answer.body());
            out.println("rolling-drill: " + nodes.get(n).nodeId() + " answered 503 " + answer.body() +
                "; its share goes to the next node");
        }
        throw new IOException("no node takes stream " + Long.toUnsignedString(streamId(stream)) +
            (refusals.isEmpty() ? "" : ": " + String.join("; ", refusals)));
    }

    private String perNode()
    {
        return nodes.stream().map((node) -> node.nodeId() + " " + countOwnedBy(node.nodeId()))
            .collect(Collectors.joining(", "));
    }

    private long countOwnedBy(final String nodeId)
    {
        long count = 0;
        for (int i = 0; i < routesCreated; i++)
        {
            count += nodeId.equals(owners[i]) ? 1 : 0;
        }
        return count;
    }

    /**
     * Settle, then restart each node in turn, each followed by settle-ms.
     *
     * @return false when a stop was requested first.
     */
    private boolean roll(final ExecutorService restarts) throws InterruptedException
    {
        if (!waitUntil(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.settleMs()), stopRequested))
        {
            return false;
        }
        for (int n = 0; n < nodes.size(); n++)
        {
            final Roll roll = rollOne(nodes.get(n), restarts);
            rolls.add(roll);
            out.println(describe(n, roll));
            out.flush();
            if (stopRequested.getAsBoolean())
            {
                return false;
            }
            if (null != roll.failure())
            {
                out.println("rolling-drill: stopping the roll: " + roll.nodeId() + " " + roll.failure());
                break;
            }
            if (!waitUntil(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(options.settleMs()), stopRequested))
            {
                return false;
            }
        }
        return true;
    }

    private String describe(final int n, final Roll roll)
    {
        return String.format(Locale.ROOT, "node %d/%d %s: restart exit %s, drain %s, back and ready after %s, " +
            "%d streams moved off it, slowest switch-over %s%s", n + 1, nodes.size(), roll.nodeId(),
            roll.restartStatus() < 0 ? "(none)" : Integer.toString(roll.restartStatus()),
            RollingReport.seconds(roll.drainMs()), RollingReport.seconds(roll.backMs()), roll.streamsMoved(),
            RollingReport.seconds(roll.slowestSwitchMs()),
            null == roll.failure() ? "" : ": FAILED " + roll.failure());
    }

    /**
     * Restart one node and watch it drain, come back and be ready, and every stream follow.
     */
    private Roll rollOne(final MigrateDrill.Node node, final ExecutorService restarts) throws InterruptedException
    {
        final MigrateDrill.NodeInfo before = MigrateDrill.NodeInfo.find(liveNodes(node), node.nodeId());
        if (null == before)
        {
            return new Roll(node.nodeId(), -1, -1, -1, 0, -1, "is not live before its restart");
        }
        out.println("rolling-drill: restarting " + node.nodeId() + " (" + countFollowing(node.nodeId()) +
            " streams on it): " + restart.describe(node.nodeId(), node.controlUrl()));
        out.flush();
        final long startNs = System.nanoTime();
        final long deadlineNs = startNs + TimeUnit.MILLISECONDS.toNanos(options.timeoutMs());
        final Future<Integer> result = restarts.submit(() -> restart.restart(node.nodeId(), node.controlUrl()));
        long drainEndNs = 0;
        long backNs = 0;
        String failure = null;
        while (true)
        {
            final long nowNs = System.nanoTime();
            if (stopRequested.getAsBoolean())
            {
                failure = "stopped (Ctrl-C)";
                break;
            }
            if (nowNs - deadlineNs > 0)
            {
                failure = "not back, ready and followed within --timeout-ms=" + options.timeoutMs() +
                    (0 == drainEndNs ? " (its heartbeat never went)" : 0 == backNs ? " (never live and ready again)" :
                    !result.isDone() ? " (the restart did not finish)" : " (a stream has no live owner)");
                break;
            }
            final String restartFailure = restartFailure(result, drainEndNs);
            if (null != restartFailure)
            {
                failure = restartFailure;
                break;
            }
            final List<MigrateDrill.NodeInfo> live = liveNodes(node);
            if (null != live)
            {
                final MigrateDrill.NodeInfo now = MigrateDrill.NodeInfo.find(live, node.nodeId());
                final boolean newInstance = null != now && !now.startedAt().equals(before.startedAt());
                if (0 == drainEndNs && (null == now || newInstance))
                {
                    drainEndNs = nowNs;
                }
                if (0 != drainEndNs && 0 == backNs && newInstance && !now.draining() && ready(node))
                {
                    backNs = System.nanoTime();
                }
                if (0 != backNs && result.isDone() && everyStreamFollowed(live, backNs))
                {
                    break;
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(WATCH_MS));
        }
        final int status = status(result);
        if (null == failure && 0 != status)
        {
            failure = "restart exited " + status;
        }
        return finish(node, startNs, drainEndNs, backNs, status, failure);
    }

    private Roll finish(
        final MigrateDrill.Node node,
        final long startNs,
        final long drainEndNs,
        final long backNs,
        final int status,
        final String failure)
    {
        int moved = 0;
        double slowestMs = -1;
        for (final OwnerFollower.Switch move : follower.switches())
        {
            if (move.fromNode().equals(node.nodeId()) && move.switchNs() - startNs >= 0)
            {
                moved++;
                slowestMs = Math.max(slowestMs, move.millis());
            }
        }
        return new Roll(node.nodeId(), status, 0 == drainEndNs ? -1 : (drainEndNs - startNs) / 1e6,
            0 == backNs ? -1 : (backNs - startNs) / 1e6, moved, slowestMs, failure);
    }

    /**
     * @return why the restart failed: it threw, or it reported failure before the node even went; else null.
     */
    private String restartFailure(final Future<Integer> result, final long drainEndNs)
        throws InterruptedException
    {
        if (!result.isDone())
        {
            return null;
        }
        try
        {
            final int status = result.get();
            return 0 != status && 0 == drainEndNs ? "restart exited " + status + " and the node did not go" : null;
        }
        catch (final ExecutionException ex)
        {
            // The whole message once here (a node's log, say); its first line in the summary.
            final String message = String.valueOf(ex.getCause().getMessage());
            out.println("rolling-drill: the restart failed: " + message);
            final int lineEnd = message.indexOf('\n');
            return "restart failed: " + (lineEnd < 0 ? message : message.substring(0, lineEnd));
        }
    }

    private static int status(final Future<Integer> result) throws InterruptedException
    {
        if (!result.isDone())
        {
            result.cancel(true);
            return -1;
        }
        try
        {
            return result.get();
        }
        catch (final ExecutionException ex)
        {
            return -1;
        }
    }

    /**
     * @return true when every stream's source has had an answer since {@code sinceNs}, naming a live owner that is
     * not draining.
     */
    private boolean everyStreamFollowed(final List<MigrateDrill.NodeInfo> live, final long sinceNs)
    {
        for (int i = 0; i < streams; i++)
        {
            final MigrateDrill.NodeInfo owner = MigrateDrill.NodeInfo.find(live, follower.owner(i));
            if (follower.lastAnswerNs(i) - sinceNs < 0 || null == owner || owner.draining())
            {
                return false;
            }
        }
        return true;
    }

    private int countFollowing(final String nodeId)
    {
        int count = 0;
        for (int i = 0; i < streams; i++)
        {
            count += nodeId.equals(follower.owner(i)) ? 1 : 0;
        }
        return count;
    }

    /**
     * @return GET /nodes from the first node that answers, the one restarting last; null when none answers.
     */
    private List<MigrateDrill.NodeInfo> liveNodes(final MigrateDrill.Node restarting) throws InterruptedException
    {
        final List<MigrateDrill.Node> order = new ArrayList<>(nodes);
        order.remove(restarting);
        order.add(restarting);
        for (final MigrateDrill.Node node : order)
        {
            try
            {
                return api.nodes(node.controlUrl());
            }
            catch (final IOException ex)
            {
                // ask the next node
            }
        }
        return null;
    }

    private boolean ready(final MigrateDrill.Node node) throws InterruptedException
    {
        try
        {
            return 200 == api.readyz(node.controlUrl());
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /**
     * Delete every route on its owner as the stream's source last knew it, else on whichever node has it.
     *
     * @return deletions that failed.
     */
    private int deleteRoutes() throws InterruptedException
    {
        int errors = 0;
        int deleted = 0;
        for (int i = 0; i < routesCreated; i++)
        {
            final String owner = owners[i];
            final URI known = null != follower ? follower.ownerUrl(i) : nodes.stream()
                .filter((node) -> node.nodeId().equals(owner)).map(MigrateDrill.Node::controlUrl).findFirst()
                .orElse(null);
            final List<URI> order = new ArrayList<>();
            if (null != known)
            {
                order.add(known);
            }
            nodes.stream().map(MigrateDrill.Node::controlUrl).filter((url) -> !url.equals(known)).forEach(order::add);
            String error = null;
            boolean gone = false;
            for (final URI url : order)
            {
                try
                {
                    if (api.deleteRoute(url, streamId(i)))
                    {
                        deleted++;
                        gone = true;
                        break;
                    }
                }
                catch (final IOException ex)
                {
                    error = ex.getMessage();
                }
            }
            if (!gone && null != error)
            {
                out.println("rolling-drill: " + error);
                errors++;
            }
        }
        if (routesCreated > 0)
        {
            out.println("rolling-drill: deleted " + deleted + " of " + routesCreated + " routes" +
                (0 == errors ? "" : ", " + errors + " failed"));
        }
        return errors;
    }

    private RollingReport report(final boolean completed, final long sendNs, final int routeErrors)
    {
        final List<SequenceLedger.Counts> counts = new ArrayList<>();
        for (int i = 0; i < Math.min(routesCreated, streams); i++)
        {
            counts.add(ledger.counts(i, counters.sentPerStream[i]));
        }
        return new RollingReport(options, nodes, rolls, counts, ledger.received(), ledger.corrupt(),
            ledger.unknownStream(), counters.sendErrors.sum(), routeErrors,
            null == follower ? 0 : follower.failedRequests(), null == follower ? 0 : follower.missingRoutes(),
            completed, sendNs);
    }

    private long streamId(final int streamIndex)
    {
        return traffic.firstStreamId() + streamIndex;
    }
}
