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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code /livez} and {@code /readyz} (PROTOCOL.md section 12), without a key: live while every data-plane thread
 * turns, ready while the node takes new routes, and 503 with the reason when it is at MAX_STREAMS_PER_NODE; and the
 * metrics listener (METRICS_ADDR), which serves GET and answers other methods 405.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProbesTest
{
    @Test
    void liveAndReadyWithoutAKeyAndNotReadyAtMaxStreams() throws Exception
    {
        try (NodeFixture node = NodeFixture.start(2, Map.of("MAX_STREAMS_PER_NODE", "1"));
            DatagramChannel source = NodeFixture.udp();
            DatagramChannel target = NodeFixture.udp())
        {
            assertProbe(node.call("GET", "/livez", null), 200, "{\"status\":\"live\"}");
            assertProbe(node.call("GET", "/readyz", null), 200, "{\"status\":\"ready\"}");

            assertEquals(201, node.createRoute(7001, source, "framed", target).statusCode());
            final String full = "node is at MAX_STREAMS_PER_NODE=1: it holds 1 route(s) (handed-off routes count until " +
                "their grace ends); create the route on another node";
            assertProbe(node.call("GET", "/readyz", null), 503,
                "{\"status\":\"not_ready\",\"error\":\"" + full + "\"}");
            final HttpResponse<String> refused = node.createRoute(7002, source, "framed", target);
            assertEquals(503, refused.statusCode(), refused.body());
            assertTrue(refused.body().contains("\"error\":\"" + full + "\""), refused.body());
            assertProbe(node.call("GET", "/livez", null), 200, "{\"status\":\"live\"}");

            assertEquals(204, node.authed("DELETE", "/route/7001", null).statusCode());
            assertProbe(node.call("GET", "/readyz", null), 200, "{\"status\":\"ready\"}");
        }
    }

    @Test
    void theMetricsListenerServesGetAndRefusesOtherMethodsWith405() throws Exception
    {
        final int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            port = free.getLocalPort(); // a listener of its own, not the API's /metrics
        }
        try (NodeFixture node = NodeFixture.start(Map.of("METRICS_ADDR", "127.0.0.1:" + port)))
        {
            assertEquals(port, node.node.metricsAddress().getPort());
            final String url = "http://127.0.0.1:" + node.node.metricsAddress().getPort() + "/metrics";
            final HttpResponse<String> get = node.http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(200, get.statusCode());
            assertTrue(get.body().contains("relay_packets_received_total"), get.body());

            final HttpResponse<String> post = node.http.send(HttpRequest.newBuilder(URI.create(url))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode(), post.body());
            assertEquals("{\"error\":\"only GET is served on /metrics\"}", post.body());
            assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(null));
        }
    }

    @Test
    void theRootListsTheEndpointsWithoutAKey() throws Exception
    {
        try (NodeFixture node = NodeFixture.start())
        {
            final HttpResponse<String> index = node.call("GET", "/", null);
            assertEquals(200, index.statusCode(), index.body());
            assertTrue(index.body().contains("\"service\":\"soundrelay\""), index.body());
            assertTrue(index.body().contains("\"POST /route\""), index.body());
            assertTrue(index.body().contains("Authorization: Bearer"), index.body());
            assertEquals(401, node.call("GET", "/routes", null).statusCode(), "the rest still needs a key");
        }
    }

    private static void assertProbe(final HttpResponse<String> response, final int status, final String body)
    {
        assertEquals(status, response.statusCode(), response.body());
        assertEquals(body, response.body());
    }
}
