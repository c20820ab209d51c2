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

import io.soundrelay.core.json.JsonNumber;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A node of two pipelines (DATA_PLANE_PIPELINES=2, PROTOCOL.md section 11) through its HTTP API: routes of both
 * pipelines forward, {@code /health} says how many pipelines run, and the per-pipeline received counts and the
 * hand-offs are in {@code /metrics}, summing to the node's total.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PipelinesEndToEndTest
{
    private static final int ROUTES = 16;
    private static final int FRAMES = 3;

    @Test
    void twoPipelinesForwardEveryRouteAndReportThemselves() throws Exception
    {
        final List<DatagramChannel> channels = new ArrayList<>();
        try (NodeFixture node = NodeFixture.start(Map.of("DATA_PLANE_PIPELINES", "2")))
        {
            assertEquals(2, ((JsonNumber)node.health("pipelines")).longValueExact());
            final DatagramChannel[] sources = new DatagramChannel[ROUTES];
            final DatagramChannel[] targets = new DatagramChannel[ROUTES];
            for (int i = 0; i < ROUTES; i++)
            {
                sources[i] = NodeFixture.udp();
                targets[i] = NodeFixture.udp();
                channels.add(sources[i]);
                channels.add(targets[i]);
                assertEquals(201, node.createRoute(3000 + i, sources[i], "framed", targets[i]).statusCode());
            }
            for (int seq = 0; seq < FRAMES; seq++)
            {
                for (int i = 0; i < ROUTES; i++)
                {
                    node.send(sources[i], NodeFixture.frame(3000 + i, 0, seq, new byte[] { (byte)i, (byte)seq }));
                }
            }
            for (int i = 0; i < ROUTES; i++)
            {
                for (int seq = 0; seq < FRAMES; seq++)
                {
                    assertArrayEquals(NodeFixture.frame(3000 + i, 0, seq, new byte[] { (byte)i, (byte)seq }),
                        NodeFixture.receive(targets[i]));
                }
            }
            final String metrics = node.metrics();
            final double total = NodeFixture.metric(metrics, "relay_packets_received_total");
            assertEquals(ROUTES * FRAMES, total);
            assertEquals(total, NodeFixture.metric(metrics, "relay_pipeline_packets_received_total{pipeline=\"0\"}") +
                NodeFixture.metric(metrics, "relay_pipeline_packets_received_total{pipeline=\"1\"}"));
            // The kernel steers each datagram to its owner's socket: streams 3000..3015 alternate between the
            // pipelines, so each received exactly its own half, and none was handed off.
            assertEquals(ROUTES * FRAMES / 2,
                NodeFixture.metric(metrics, "relay_pipeline_packets_received_total{pipeline=\"0\"}"), metrics);
            assertEquals(0, NodeFixture.metric(metrics, "relay_pipeline_handoffs_total"), metrics);
            for (int i = 0; i < ROUTES; i++)
            {
                assertEquals(204, node.authed("DELETE", "/route/" + (3000 + i), null).statusCode());
            }
        }
        finally
        {
            for (final DatagramChannel channel : channels)
            {
                channel.close();
            }
        }
    }
}
