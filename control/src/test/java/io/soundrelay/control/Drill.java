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

import io.soundrelay.control.redis.StoredRoute;

import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static io.soundrelay.control.NodeFixture.udp;
import static io.soundrelay.control.NodeFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * One Redis drill's load on a node: 100 streams at 50 datagrams a second ({@link DrillTraffic}) and a client
 * creating, replacing and deleting routes ({@link DrillClient}), started before the fault and checked after it.
 */
final class Drill implements AutoCloseable
{
    static final int STREAMS = 100;
    static final long FIRST_STREAM = 1000;

    final DrillTraffic traffic;
    final DrillClient client;
    private final NodeFixture node;
    private final List<DatagramChannel> sources = new ArrayList<>();
    private int writesAtFault;

    private Drill(final NodeFixture node, final DatagramChannel target, final long firstClientRoute) throws Exception
    {
        this.node = node;
        for (int i = 0; i < STREAMS; i++)
        {
            final DatagramChannel source = udp();
            sources.add(source);
            final HttpResponse<String> created = node.createRoute(FIRST_STREAM + i, source, null, target);
            assertEquals(201, created.statusCode(), created.body());
        }
        traffic = new DrillTraffic(node, FIRST_STREAM, sources, target);
        client = new DrillClient(node, firstClientRoute);
    }

    /**
     * A node for a drill on the given Redis: a short migration grace, and room for the routes the client makes for
     * as long as the drill lasts.
     */
    static NodeFixture node(final String redisUrl, final String nodeId) throws Exception
    {
        final Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", redisUrl);
        env.put("NODE_ID", nodeId);
        env.put("MIGRATION_GRACE_SECONDS", "2");
        env.put("MAX_STREAMS_PER_NODE", "100000");
        return NodeFixture.start(env);
    }

    /**
     * Creates the streams' routes on the node, starts the load and returns once the client has made 30 routes.
     */
    static Drill start(final NodeFixture node, final DatagramChannel target, final long firstClientRoute)
        throws Exception
    {
        final Drill drill = new Drill(node, target, firstClientRoute);
        drill.traffic.start();
        drill.client.start();
        waitFor("client writes before the fault", () -> drill.client.created.size() >= 30);
        return drill;
    }

    /** Marks the moment the fault is over (the writes counted from here on show the node took writes again). */
    void faultOver()
    {
        writesAtFault = client.created.size();
    }

    /**
     * Waits for 20 more routes after {@link #faultOver()}, stops the load, and checks that every API call was
     * answered as expected, nothing waits for Redis and no datagram was lost.
     */
    void finish() throws Exception
    {
        waitFor("client writes after the fault", () ->
            client.failure.get() != null || client.created.size() >= writesAtFault + 20);
        assertNull(client.failure.get(), () -> "an API call failed: " + client.failure.get());
        client.stop();
        traffic.stop();
        waitFor("the write queue empty", () -> node.metricNow("relay_redis_queued_writes") == 0);
        traffic.assertNoneLost();
    }

    /**
     * Redis (read through {@code get}) holds exactly what the API answers promised, and every stream's route.
     */
    void assertRedisHolds(final Function<String, String> get) throws Exception
    {
        client.assertRedisHoldsWhatTheApiSaid(get);
        for (int i = 0; i < STREAMS; i++)
        {
            assertNotNull(get.apply(StoredRoute.key(FIRST_STREAM + i)), "stream " + (FIRST_STREAM + i));
        }
    }

    @Override
    public String toString()
    {
        return client + "; " + traffic.sent() + " datagrams on " + STREAMS + " streams, 0 lost";
    }

    public void close() throws Exception
    {
        for (final DatagramChannel source : sources)
        {
            source.close();
        }
    }
}
