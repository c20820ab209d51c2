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

import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.Map;

import static io.soundrelay.control.NodeFixture.addr;
import static io.soundrelay.control.NodeFixture.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A real node refuses routes that would turn it against itself or its neighbours, with a 400 naming the field: no
 * target that is no single host, in TARGET_DENY, or one of the node's own sockets, and no source that is one of
 * them. What it accepts, it still accepts.
 */
class RouteAddressChecksTest
{
    private static String route(final String source, final String... targets)
    {
        final StringBuilder sb = new StringBuilder("{\"stream_id\":77,\"source_addr\":\"").append(source)
            .append("\",\"target_addrs\":[");
        for (int i = 0; i < targets.length; i++)
        {
            sb.append(i == 0 ? "" : ",").append('"').append(targets[i]).append('"');
        }
        return sb.append("]}").toString();
    }

    private static void assertRefused(final HttpResponse<String> r, final String field, final String why)
    {
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"field\":\"" + field + "\""), r.body());
        assertTrue(r.body().contains(why), why + " in " + r.body());
    }

    @Test
    void targetsAndSourcesThatWouldLoopOrAmplifyAreRefusedNamingTheField() throws Exception
    {
        try (NodeFixture node = NodeFixture.start(); DatagramChannel source = udp(); DatagramChannel target = udp())
        {
            final String src = addr(source);
            final String ok = addr(target);
            final int relay = node.relay().getPort();
            final int api = node.node.apiAddress().getPort();
            final Map<String, String> refused = new java.util.LinkedHashMap<>();
            refused.put("0.0.0.0:5000", "is the unspecified address");
            refused.put("255.255.255.255:25690", "is a broadcast address");
            refused.put("127.255.255.255:5000", "is a broadcast address");
            refused.put("224.0.0.1:5000", "is a multicast address");
            refused.put("169.254.169.254:80", "is in TARGET_DENY (169.254.0.0/16)");
            refused.put("127.0.0.1:" + relay, "is this node's own relay socket (BIND_ADDR)");
            for (final Map.Entry<String, String> bad : refused.entrySet())
            {
                assertRefused(node.authed("POST", "/route", route(src, ok, bad.getKey())), "target_addrs[1]",
                    bad.getKey() + " " + bad.getValue());
            }
            assertRefused(node.authed("POST", "/route", route("127.0.0.1:" + relay, ok)), "source_addr",
                "is this node's own relay socket (BIND_ADDR)");
            assertEquals(404, node.authed("GET", "/route/77", null).statusCode(), "nothing was created");

            final HttpResponse<String> created = node.authed("POST", "/route", route(src, ok, "127.0.0.3:5000"));
            assertEquals(201, created.statusCode(), created.body());
            assertTrue(created.body().contains("\"packets_out\":0,\"send_failed\":0"), created.body());
            assertRefused(node.authed("PUT", "/route/77", route(src, "255.255.255.255:9")), "target_addrs[0]",
                "is a broadcast address");
            assertTrue(node.authed("GET", "/route/77", null).body().contains("\"target_addrs\":[\"" + ok),
                "a refused PUT leaves the route as it was");
        }
    }

    /**
     * A route's peers are UDP sockets: one on 127.0.0.x that holds the port number of the node's control API or
     * metrics listener (TCP) is another socket, and a route from or to it is accepted. An ephemeral UDP port of a
     * client on the node's host can draw that number.
     */
    @Test
    void aUdpPeerWithThePortNumberOfTheNodesApiOrMetricsListenerIsAccepted() throws Exception
    {
        try (NodeFixture node = NodeFixture.start(Map.of("METRICS_ADDR", "127.0.0.1:" + RedisServer.freePort()));
            DatagramChannel target = udp())
        {
            final int api = node.node.apiAddress().getPort();
            final int metrics = node.node.metricsAddress().getPort();
            final String source = "127.0.0.9:" + api;
            final HttpResponse<String> created = node.authed("POST", "/route",
                route(source, addr(target), "127.0.0.1:" + api, "127.0.0.1:" + metrics));
            assertEquals(201, created.statusCode(), created.body());
            assertTrue(created.body().contains("\"source_addr\":\"" + source + "\""), created.body());
            assertRefused(node.authed("PUT", "/route/77", route(source, "127.0.0.1:" + node.relay().getPort())),
                "target_addrs[0]", "is this node's own relay socket (BIND_ADDR)");
        }
    }

    /** Issue 29, finding 7: the IPv6 forms of the metadata address the red team got accepted (201). */
    @Test
    void ipv6AddressesThatEmbedADeniedIpv4AddressOrAreEc2MetadataAreRefused() throws Exception
    {
        try (NodeFixture node = NodeFixture.start(); DatagramChannel source = udp(); DatagramChannel target = udp())
        {
            final String src = addr(source);
            final String ok = addr(target);
            final int relay = node.relay().getPort();
            final Map<String, String> refused = new java.util.LinkedHashMap<>();
            for (final String metadata : List.of("[64:ff9b::a9fe:a9fe]:80", "[64:ff9b:1::a9fe:a9fe]:80",
                "[2002:a9fe:a9fe::1]:80", "[::a9fe:a9fe]:80", "[::ffff:0:a9fe:a9fe]:80"))
            {
                refused.put(metadata, "is in TARGET_DENY (169.254.0.0/16): it embeds 169.254.169.254");
            }
            refused.put("[fd00:ec2::254]:80", "is in TARGET_DENY (fd00:ec2::/32)");
            refused.put("[::ffff:0:127.0.0.1]:" + relay, "is this node's own relay socket (BIND_ADDR)");
            for (final Map.Entry<String, String> bad : refused.entrySet())
            {
                assertRefused(node.authed("POST", "/route", route(src, ok, bad.getKey())), "target_addrs[1]",
                    bad.getValue());
            }
            assertRefused(node.authed("POST", "/route", route("[64:ff9b::7f00:1]:" + relay, ok)), "source_addr",
                "is this node's own relay socket (BIND_ADDR)");
            assertEquals(404, node.authed("GET", "/route/77", null).statusCode(), "nothing was created");
            assertEquals(201, node.authed("POST", "/route", route(src, ok, "[64:ff9b::cb00:7107]:5000")).statusCode(),
                "NAT64 to an ordinary host is a target like any");
        }
    }

    @Test
    void targetAllowAndTargetDenyTightenAndLoosenThePolicy() throws Exception
    {
        try (NodeFixture node = NodeFixture.start(Map.of("TARGET_ALLOW", "10.0.0.0/8", "TARGET_DENY", ""));
            DatagramChannel source = udp())
        {
            assertRefused(node.authed("POST", "/route", route(addr(source), "127.0.0.1:5000")), "target_addrs[0]",
                "is outside TARGET_ALLOW ([10.0.0.0/8])");
            assertEquals(201, node.authed("POST", "/route", route(addr(source), "10.9.8.7:5000")).statusCode());
        }
        try (NodeFixture node = NodeFixture.start(Map.of("TARGET_DENY", "")); DatagramChannel source = udp())
        {
            assertEquals(201, node.authed("POST", "/route", route(addr(source), "169.254.1.1:5000")).statusCode(),
                "an empty TARGET_DENY lifts the link-local default");
        }
    }

    @Test
    void theLoopReasonIsExposed() throws Exception
    {
        try (NodeFixture node = NodeFixture.start())
        {
            final String metrics = node.metrics();
            for (final String reason : List.of("loop", "mixer_full", "send_failed"))
            {
                assertTrue(metrics.contains("relay_packet_errors_total{reason=\"" + reason + "\"} 0"), reason);
            }
        }
    }
}
