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
package io.soundrelay.control;

import io.soundrelay.control.api.ControlApi;
import io.soundrelay.control.redis.RedisRouteStore;
import io.soundrelay.core.config.StartupChecks;
import io.soundrelay.io.DataPlane;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What {@code /health} tells of the node, read live from its parts: the addresses it advertises (known once its
 * listeners are bound), the data plane's transport, the Redis store's state.
 */
final class NodeStatusView implements ControlApi.NodeStatus
{
    /** How long a data-plane thread may go without finishing a duty cycle before {@code /livez} fails. */
    static final long STALLED_NS = TimeUnit.SECONDS.toNanos(5);

    private final String nodeId;
    private final String startedAt;
    private final long startNs;
    private final DataPlane dataPlane;
    private final RedisRouteStore redis;
    private volatile ControlApi.Drainer drainer;
    private volatile boolean started;
    private volatile String relayAddr;
    private volatile String controlAddr;
    private volatile boolean authEnabled = true;
    private volatile List<String> warnings = List.of();

    /**
     * @param nodeId    NODE_ID.
     * @param startedAt the start time, ISO-8601.
     * @param startNs   monotonic start time, for the uptime.
     * @param dataPlane the data plane.
     * @param redis     the store, or null when REDIS_URL is empty.
     */
    NodeStatusView(
        final String nodeId,
        final String startedAt,
        final long startNs,
        final DataPlane dataPlane,
        final RedisRouteStore redis)
    {
        this.nodeId = nodeId;
        this.startedAt = startedAt;
        this.startNs = startNs;
        this.dataPlane = dataPlane;
        this.redis = redis;
    }

    /**
     * @param relayAddr   the relay address others reach the node at.
     * @param controlAddr the control API address others reach the node at.
     */
    void advertised(final String relayAddr, final String controlAddr)
    {
        this.relayAddr = relayAddr;
        this.controlAddr = controlAddr;
    }

    /**
     * @param authEnabled AUTH_ENABLED.
     * @param apiAddress  CONTROL_API_ADDR.
     * @param boundPort   the port the control API is bound to.
     */
    void security(final boolean authEnabled, final InetSocketAddress apiAddress, final int boundPort)
    {
        this.authEnabled = authEnabled;
        final String open = StartupChecks.openApiWarning(authEnabled, apiAddress, boundPort);
        this.warnings = open == null ? List.of() : List.of(open);
    }

    @Override
    public String auth()
    {
        return authEnabled ? "enabled" : "disabled";
    }

    @Override
    public List<String> warnings()
    {
        return warnings;
    }

    @Override
    public String nodeId()
    {
        return nodeId;
    }

    @Override
    public String relayAddr()
    {
        return relayAddr;
    }

    @Override
    public String controlAddr()
    {
        return controlAddr;
    }

    @Override
    public String startedAt()
    {
        return startedAt;
    }

    @Override
    public String transport()
    {
        return dataPlane.transport().wireName();
    }

    @Override
    public int pipelines()
    {
        return dataPlane.pipelines();
    }

    @Override
    public String notLive()
    {
        final String stalled = dataPlane.stalledThread(STALLED_NS);
        return stalled == null ? null : "data-plane thread " + stalled + " has not finished a duty cycle for 5 s";
    }

    @Override
    public String notReady()
    {
        if (!started)
        {
            return "node is starting";
        }
        if (draining())
        {
            return "node is draining (SIGTERM or POST /drain): it takes no new route";
        }
        return dataPlane.atMaxRoutes() ? dataPlane.fullReason() : null;
    }

    @Override
    public boolean draining()
    {
        final ControlApi.Drainer drain = drainer;
        return drain != null && drain.draining();
    }

    /**
     * @param drainer the node's drain.
     */
    void drainer(final ControlApi.Drainer drainer)
    {
        this.drainer = drainer;
    }

    /**
     * Every part of the node is up: {@code /readyz} answers 200 from now on, unless it drains or is full.
     */
    void started()
    {
        started = true;
    }

    @Override
    public String redis()
    {
        return redis == null ? "disabled" : redis.state();
    }

    @Override
    public String redisMode()
    {
        return redis == null ? null : redis.mode();
    }

    @Override
    public String redisMaster()
    {
        return redis == null ? null : redis.master();
    }

    @Override
    public String redisError()
    {
        return redis == null ? null : redis.failure();
    }

    @Override
    public long[] redisQueue()
    {
        return redis == null ? null : new long[] {redis.backlogSize(), redis.queueMax(), redis.queueDropped()};
    }

    @Override
    public long uptimeSeconds()
    {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startNs);
    }
}
