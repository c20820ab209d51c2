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

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.soundrelay.control.NodeFixture.KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Floods of requests without a valid key, from one loopback address, as the red team sent them to /metrics (issue 29,
 * finding 8): the flooding address gets 429 with Retry-After and a JSON error once its bucket is empty, counted in
 * {@code relay_http_rate_limited_total}; another address, and any request with a valid key, go on being served.
 * The limit is 1 request per second with a burst of 5, so a burst of 30 requests sent at once must see 429s however
 * fast or slow the machine is.
 */
class HttpFloodTest
{
    private static final int FLOOD = 30;
    private static NodeFixture node;
    private static InetSocketAddress api;
    private static InetSocketAddress metricsListener;

    @BeforeAll
    static void start() throws Exception
    {
        final int metricsPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            metricsPort = probe.getLocalPort(); // a listener of its own, not the API's /metrics
        }
        node = NodeFixture.start(Map.of("UNAUTH_RATE_PER_SECOND", "1", "UNAUTH_RATE_BURST", "5",
            "METRICS_ADDR", "127.0.0.1:" + metricsPort));
        api = new InetSocketAddress("127.0.0.1", node.node.apiAddress().getPort());
        metricsListener = new InetSocketAddress("127.0.0.1", node.node.metricsAddress().getPort());
    }

    @AfterAll
    static void stop()
    {
        node.close();
    }

    @Test
    void unauthenticatedFloodFromOneAddressIsLimitedAndOtherAddressesAreNot() throws Exception
    {
        RawHttp.Reply limited = null;
        int ok = 0;
        for (int i = 0; i < FLOOD; i++)
        {
            final RawHttp.Reply reply = from("127.0.0.1", api, RawHttp.request("GET", "/health", null));
            if (reply.status == 200)
            {
                ok++;
            }
            else
            {
                assertEquals(429, reply.status, reply.text());
                limited = reply;
            }
        }
        assertNotNull(limited, "30 requests at once with a burst of 5: some must be refused");
        assertTrue(ok >= 5, "the burst is served: " + ok);
        assertNotNull(limited.jsonError(), limited.text());
        assertTrue(Long.parseLong(limited.header("Retry-After")) >= 1, limited.text());

        assertEquals(200, from("127.0.0.5", api, RawHttp.request("GET", "/health", null)).status,
            "another address is not limited by the flood");
        assertEquals(200, from("127.0.0.1", api,
            RawHttp.request("GET", "/health", null, "Authorization: Bearer " + KEY)).status,
            "a request with a valid key is not limited");
        assertTrue(node.metricNow("relay_http_rate_limited_total{reason=\"unauthenticated\"}") >= 1);
    }

    @Test
    void failedAuthenticationFloodIsLimitedAndAValidKeyIsNot() throws Exception
    {
        int unauthorized = 0;
        RawHttp.Reply limited = null;
        for (int i = 0; i < FLOOD; i++)
        {
            final RawHttp.Reply reply = from("127.0.0.3", api,
                RawHttp.request("GET", "/routes", null, "Authorization: Bearer wrong-key-0123456789abcdef"));
            if (reply.status == 401)
            {
                unauthorized++;
            }
            else
            {
                assertEquals(429, reply.status, reply.text());
                limited = reply;
            }
        }
        assertTrue(unauthorized >= 5, "the burst is answered 401: " + unauthorized);
        assertNotNull(limited, "30 failed authentications at once with a burst of 5: some must be refused");
        assertNotNull(limited.header("Retry-After"), limited.text());
        assertNotNull(limited.jsonError(), limited.text());

        assertEquals(200, from("127.0.0.3", api,
            RawHttp.request("GET", "/routes", null, "X-API-Key: " + KEY)).status,
            "the flooding address with a valid key is served");
        assertTrue(node.metricNow("relay_http_rate_limited_total{reason=\"auth_failed\"}") >= 1);
    }

    @Test
    void theMetricsListenerIsLimitedToo() throws Exception
    {
        boolean limited = false;
        for (int i = 0; i < FLOOD; i++)
        {
            final RawHttp.Reply reply = from("127.0.0.4", metricsListener, RawHttp.request("GET", "/metrics", null));
            assertTrue(reply.status == 200 || reply.status == 429, reply.text());
            limited |= reply.status == 429;
        }
        assertTrue(limited, "30 scrapes at once with a burst of 5: some must be refused");
        assertEquals(200, from("127.0.0.6", metricsListener, RawHttp.request("GET", "/metrics", null)).status);
    }

    @Test
    void idleConnectionsPastTheCapNeitherHoldDescriptorsNorLockAnyoneOut() throws Exception
    {
        try (NodeFixture capped = NodeFixture.start(Map.of("CONTROL_API_MAX_CONNECTIONS", "16")))
        {
            final InetSocketAddress to = new InetSocketAddress("127.0.0.1", capped.node.apiAddress().getPort());
            final List<Socket> idle = new ArrayList<>();
            try
            {
                for (int i = 0; i < 40; i++)
                {
                    final Socket socket = new Socket();
                    idle.add(socket);
                    socket.bind(new InetSocketAddress(i % 2 == 0 ? "127.0.0.1" : "127.0.0.2", 0));
                    socket.connect(to, 5000);
                }
                // The same address as the idle ones, and a third one: both get in, taking an idle one's place.
                assertEquals(200, from("127.0.0.1", to,
                    RawHttp.request("GET", "/health", null, "Authorization: Bearer " + KEY)).status);
                assertEquals(200, from("127.0.0.7", to, RawHttp.request("GET", "/health", null)).status);
                // The node accepts after the kernel has completed each handshake: wait until it has taken all 40.
                MultiNodeTest.await("the idle connections past each address's share evicted", 10, () ->
                    capped.metricNow("relay_http_connections_shed_total{reason=\"idle_evicted\"}") >= 32);
                final double open = capped.metricNow("relay_http_connections_open");
                assertTrue(open <= 16, "connections open: " + open);
            }
            finally
            {
                for (final Socket socket : idle)
                {
                    socket.close();
                }
            }
        }
    }

    /**
     * One request on a new connection from a given loopback address, read until the server closes it.
     */
    static RawHttp.Reply from(final String localIp, final InetSocketAddress to, final byte[] request)
        throws IOException
    {
        try (Socket socket = new Socket())
        {
            socket.bind(new InetSocketAddress(localIp, 0));
            socket.connect(to, 5000);
            socket.setSoTimeout(RawHttp.READ_TIMEOUT_MS);
            socket.getOutputStream().write(request);
            socket.getOutputStream().flush();
            return RawHttp.readToEnd(socket);
        }
    }
}
