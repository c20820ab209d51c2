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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.soundrelay.control.NodeFixture.KEY;
import static io.soundrelay.control.NodeFixture.udp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The control API over real HTTP against a running node.
 */
class ControlApiTest
{
    private static final String SRC = "\"source_addr\":\"127.0.0.1:5000\"";
    private static final String TGT = "\"target_addrs\":[\"127.0.0.1:5001\"]";

    private static NodeFixture fixture;

    @BeforeAll
    static void start() throws Exception
    {
        fixture = NodeFixture.start();
    }

    @AfterAll
    static void stop()
    {
        fixture.close();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
        "not json at all                                                      | ",
        "[1,2]                                                                | ",
        "{" + SRC + "," + TGT + "}                                            | stream_id",
        "{\"stream_id\":0," + SRC + "," + TGT + "}                            | stream_id",
        "{\"stream_id\":-5," + SRC + "," + TGT + "}                           | stream_id",
        "{\"stream_id\":18446744073709551616," + SRC + "," + TGT + "}         | stream_id",
        "{\"stream_id\":1.5," + SRC + "," + TGT + "}                          | stream_id",
        "{\"stream_id\":\"12x\"," + SRC + "," + TGT + "}                      | stream_id",
        "{\"stream_id\":true," + SRC + "," + TGT + "}                         | stream_id",
        "{\"stream_id\":7," + TGT + "}                                        | source_addr",
        "{\"stream_id\":7,\"source_addr\":\"localhost:5000\"," + TGT + "}     | source_addr",
        "{\"stream_id\":7,\"source_addr\":\"127.0.0.1:-1\"," + TGT + "}       | source_addr",
        "{\"stream_id\":7,\"source_addr\":\"127.0.0.1\"," + TGT + "}          | source_addr",
        "{\"stream_id\":7,\"source_addr\":5000," + TGT + "}                   | source_addr",
        "{\"stream_id\":7," + SRC + "}                                        | target_addrs",
        "{\"stream_id\":7," + SRC + ",\"target_addrs\":[]}                    | target_addrs",
        "{\"stream_id\":7," + SRC + ",\"target_addrs\":\"127.0.0.1:1\"}       | target_addrs",
        "{\"stream_id\":7," + SRC + ",\"target_addrs\":[\"127.0.0.1:1\",\"1.2.3.4:99999\"]} | target_addrs[1]",
        "{\"stream_id\":7," + SRC + ",\"target_addrs\":[\"127.0.0.1:1\",\"127.0.0.1:1\"]}   | target_addrs[1]",
        "{\"stream_id\":7," + SRC + ",\"target_addrs\":[\"[::1]:70000\"]}     | target_addrs[0]",
        "{\"stream_id\":7," + SRC + "," + TGT + ",\"room_code\":\"\"}         | room_code",
        "{\"stream_id\":7," + SRC + "," + TGT + ",\"room_code\":\"a b\"}      | room_code",
        "{\"stream_id\":7," + SRC + "," + TGT + ",\"deliver\":\"raw\"}        | deliver",
        "{\"stream_id\":7," + SRC + "," + TGT + ",\"jitter_ms\":1001}         | jitter_ms",
        "{\"stream_id\":7," + SRC + "," + TGT + ",\"jitter_ms\":-1}           | jitter_ms",
        "{\"stream_id\":7," + SRC + "," + TGT + ",\"jitter_ms\":\"5\"}        | jitter_ms",
        "{\"stream_id\":7," + SRC + "," + TGT + ",\"mix_minus\":\"yes\"}      | mix_minus",
        "{\"stream_id\":7," + SRC + "," + TGT + ",\"return_path\":1}          | return_path",
        "{\"stream_id\":7," + SRC + "," + TGT + ",\"extra\":1}                | extra",
    })
    void invalidRouteRequestsAreRefusedNamingTheField(final String body, final String field) throws Exception
    {
        final HttpResponse<String> r = fixture.authed("POST", "/route", body);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertTrue(r.body().contains("\"error\":\""), r.body());
        if (field != null)
        {
            assertTrue(r.body().contains("\"field\":\"" + field + "\""), r.body());
        }
        assertEquals(404, fixture.authed("GET", "/route/7", null).statusCode(), "nothing was created");
    }

    @Test
    void tooManyTargetsIsRefused() throws Exception
    {
        final StringBuilder targets = new StringBuilder();
        for (int i = 0; i < 17; i++)
        {
            targets.append(i == 0 ? "" : ",").append("\"127.0.0.1:").append(6000 + i).append('"');
        }
        final HttpResponse<String> r = fixture.authed("POST", "/route",
            "{\"stream_id\":8," + SRC + ",\"target_addrs\":[" + targets + "]}");
        assertEquals(400, r.statusCode());
        assertTrue(r.body().contains("\"field\":\"target_addrs\""), r.body());
    }

    @Test
    void authIsRequiredAndAcceptedByEitherHeader() throws Exception
    {
        final HttpResponse<String> none = fixture.call("GET", "/routes", null);
        assertEquals(401, none.statusCode());
        assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElse(null));
        assertTrue(none.body().contains("\"error\""));
        assertEquals(401, fixture.call("GET", "/routes", null, "Authorization", "Bearer wrong-key-0123456789").statusCode());
        assertEquals(401, fixture.call("GET", "/routes", null, "X-API-Key", KEY + "x").statusCode());
        assertEquals(401, fixture.call("POST", "/route", "{}", "Authorization", "Basic " + KEY).statusCode());
        assertEquals(200, fixture.call("GET", "/routes", null, "Authorization", "Bearer " + KEY).statusCode());
        assertEquals(200, fixture.call("GET", "/routes", null, "X-API-Key", KEY).statusCode());
        assertEquals(200, fixture.call("GET", "/health", null).statusCode(), "health needs no key");
        assertEquals(200, fixture.call("GET", "/metrics", null).statusCode(), "metrics need no key");
    }

    @Test
    void createGetReplaceDeleteAndTheirErrors() throws Exception
    {
        final String body = "{\"stream_id\":\"18446744073709551615\"," + SRC + "," + TGT + ",\"room_code\":\"room-1\"," +
            "\"deliver\":\"framed\",\"jitter_ms\":40,\"mix_minus\":true}";
        final HttpResponse<String> created = fixture.authed("POST", "/route", body);
        assertEquals(201, created.statusCode(), created.body());
        assertEquals("/route/18446744073709551615", created.headers().firstValue("Location").orElse(null));
        for (final String part : List.of("\"stream_id\":\"18446744073709551615\"", "\"source_addr\":\"127.0.0.1:5000\"",
            "\"target_addrs\":[\"127.0.0.1:5001\"]", "\"room_code\":\"room-1\"", "\"deliver\":\"framed\"",
            "\"jitter_ms\":40", "\"mix_minus\":true", "\"node_id\":\"" + fixture.node.config().nodeId() + "\"", "\"created_at\":\"",
            "\"last_seen_ms_ago\":null", "\"packets_in\":0", "\"packets_out\":0"))
        {
            assertTrue(created.body().contains(part), part + " in " + created.body());
        }
        assertEquals(409, fixture.authed("POST", "/route", body).statusCode());

        final HttpResponse<String> got = fixture.authed("GET", "/route/18446744073709551615", null);
        assertEquals(200, got.statusCode());
        assertTrue(got.body().contains("\"room_code\":\"room-1\""));

        final HttpResponse<String> replaced = fixture.authed("PUT", "/route/18446744073709551615",
            "{\"source_addr\":\"127.0.0.1:5002\",\"target_addrs\":[\"127.0.0.1:5003\",\"[::1]:5004\"]}");
        assertEquals(200, replaced.statusCode(), replaced.body());
        assertTrue(replaced.body().contains("\"target_addrs\":[\"127.0.0.1:5003\",\"[::1]:5004\"]"), replaced.body());
        assertTrue(replaced.body().contains("\"deliver\":\"payload\""), "PUT replaces options too");

        final HttpResponse<String> otherId = fixture.authed("PUT", "/route/18446744073709551615",
            "{\"stream_id\":5," + SRC + "," + TGT + "}");
        assertEquals(400, otherId.statusCode());
        assertTrue(otherId.body().contains("\"field\":\"stream_id\""));

        assertEquals(404, fixture.authed("PUT", "/route/99", "{" + SRC + "," + TGT + "}").statusCode());
        assertEquals(204, fixture.authed("DELETE", "/route/18446744073709551615", null).statusCode());
        assertEquals(404, fixture.authed("DELETE", "/route/18446744073709551615", null).statusCode());
        assertEquals(404, fixture.authed("GET", "/route/18446744073709551615", null).statusCode());
        final HttpResponse<String> badId = fixture.authed("GET", "/route/abc", null);
        assertEquals(400, badId.statusCode());
        assertTrue(badId.body().contains("\"field\":\"stream_id\""));
        assertEquals(404, fixture.authed("GET", "/nowhere", null).statusCode());
        assertEquals(405, fixture.authed("PATCH", "/route/1", "{}").statusCode());
        final HttpResponse<String> noRedis =
            fixture.authed("POST", "/migrate", "{\"stream_id\":1,\"new_node_addr\":\"127.0.0.1:4000\"}");
        assertEquals(409, noRedis.statusCode());
        assertTrue(noRedis.body().contains("without Redis"), noRedis.body());
    }

    @Test
    void bodiesOver64KiBAreRefusedWith413() throws Exception
    {
        final String big = "{\"stream_id\":9," + SRC + "," + TGT + ",\"room_code\":\"" + "a".repeat(70_000) + "\"}";
        final HttpResponse<String> r = fixture.authed("POST", "/route", big);
        assertEquals(413, r.statusCode());
        assertTrue(r.body().contains("\"error\""));
        assertEquals(404, fixture.authed("GET", "/route/9", null).statusCode());
    }

    @Test
    void healthReportsTheNode() throws Exception
    {
        final HttpResponse<String> r = fixture.call("GET", "/health", null);
        assertEquals(200, r.statusCode());
        for (final String part : List.of("\"status\":\"ok\"", "\"node_id\":\"" + fixture.node.config().nodeId() + "\"", "\"uptime_s\":",
            "\"transport\":\"" + fixture.node.dataPlane().transport().wireName() + "\"", "\"redis\":\"disabled\"",
            "\"active_routes\":", "\"active_streams\":", "\"packets_received\":", "\"packets_sent\":",
            "\"pipelines\":1"))
        {
            assertTrue(r.body().contains(part), part + " in " + r.body());
        }
    }

    @Test
    void routesArePagedInStreamIdOrder() throws Exception
    {
        final List<Long> ids = new ArrayList<>();
        for (long id = 500; id < 525; id++)
        {
            ids.add(id);
            assertEquals(201, fixture.authed("POST", "/route",
                "{\"stream_id\":" + id + "," + SRC + "," + TGT + "}").statusCode());
        }
        final List<Long> listed = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do
        {
            final HttpResponse<String> page = fixture.authed("GET", "/routes?limit=10" +
                (cursor == null ? "" : "&cursor=" + cursor), null);
            assertEquals(200, page.statusCode());
            final Matcher m = Pattern.compile("\"stream_id\":\"(\\d+)\"").matcher(page.body());
            int n = 0;
            while (m.find())
            {
                final long id = Long.parseLong(m.group(1));
                if (id >= 500 && id < 525)
                {
                    listed.add(id);
                }
                n++;
            }
            assertTrue(n <= 10);
            final Matcher c = Pattern.compile("\"next_cursor\":(null|\"(\\d+)\")").matcher(page.body());
            assertTrue(c.find(), page.body());
            cursor = c.group(2);
            pages++;
        }
        while (cursor != null && pages < 100);
        assertEquals(ids, listed);

        final HttpResponse<String> badLimit = fixture.authed("GET", "/routes?limit=0", null);
        assertEquals(400, badLimit.statusCode());
        assertTrue(badLimit.body().contains("\"field\":\"limit\""));
        assertEquals(400, fixture.authed("GET", "/routes?limit=1001", null).statusCode());
        final HttpResponse<String> badCursor = fixture.authed("GET", "/routes?cursor=xyz", null);
        assertEquals(400, badCursor.statusCode());
        assertTrue(badCursor.body().contains("\"field\":\"cursor\""));
        for (final long id : ids)
        {
            assertEquals(204, fixture.authed("DELETE", "/route/" + id, null).statusCode());
        }
    }

    @Test
    void metricsAreServedOnBothListenersWithoutIdsInLabels() throws Exception
    {
        try (DatagramChannel src = udp(); DatagramChannel t = udp())
        {
            assertEquals(201, fixture.createRoute(777_777, src, null, t).statusCode());
            fixture.send(src, NodeFixture.frame(777_777, 0, 1, new byte[] { 1, 2, 3 }));
            NodeFixture.receive(t);
        }
        final String api = fixture.metrics();
        final HttpResponse<String> separate = fixture.http.send(HttpRequest.newBuilder(URI.create(
            "http://127.0.0.1:" + fixture.node.metricsAddress().getPort() + "/metrics")).build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, separate.statusCode());
        for (final String text : List.of(api, separate.body()))
        {
            for (final String name : List.of("relay_packets_received_total", "relay_packets_sent_total",
                "relay_packet_errors_total{reason=\"ring_full\"}", "relay_packet_errors_total{reason=\"mixer_full\"}",
                "relay_active_streams", "relay_active_routes",
                "relay_packet_processing_duration_seconds_bucket", "relay_packet_processing_duration_seconds_count",
                "http_requests_total{method=\"POST\",status=\"201\"}",
                "relay_pipeline_packets_received_total{pipeline=\"0\"}", "relay_pipeline_handoffs_total"))
            {
                assertTrue(text.contains(name), name);
            }
            assertFalse(text.contains("777777"), "no stream id in any label");
            assertFalse(text.contains("127.0.0.1"), "no address in any label");
        }
        // Recorded once the send returns, which can be just after the target already has the datagram.
        NodeFixture.waitFor("the datagram's processing time is recorded", () ->
        {
            try
            {
                return NodeFixture.metric(fixture.metrics(), "relay_packet_processing_duration_seconds_count") >= 1;
            }
            catch (final Exception ex)
            {
                throw new IllegalStateException(ex);
            }
        });
        assertEquals(204, fixture.authed("DELETE", "/route/777777", null).statusCode());
    }

    @Test
    void nodeAtMaxStreamsAnswers503() throws Exception
    {
        try (NodeFixture small = NodeFixture.start(Map.of("MAX_STREAMS_PER_NODE", "2")))
        {
            for (int id = 1; id <= 2; id++)
            {
                assertEquals(201, small.authed("POST", "/route", "{\"stream_id\":" + id + "," + SRC + "," + TGT + "}")
                    .statusCode());
            }
            final HttpResponse<String> full = small.authed("POST", "/route", "{\"stream_id\":3," + SRC + "," + TGT + "}");
            assertEquals(503, full.statusCode());
            assertTrue(full.body().contains("MAX_STREAMS_PER_NODE"));
            assertEquals(204, small.authed("DELETE", "/route/1", null).statusCode());
            assertEquals(201, small.authed("POST", "/route", "{\"stream_id\":3," + SRC + "," + TGT + "}").statusCode());
        }
    }

    @Test
    void withAuthOffNoKeyIsNeededAndWithNoKeysOneIsGenerated() throws Exception
    {
        try (NodeFixture open = NodeFixture.start(Map.of("AUTH_ENABLED", "false")))
        {
            assertEquals(200, open.call("GET", "/routes", null).statusCode());
        }
        try (NodeFixture generated = NodeFixture.start(Map.of("API_KEYS", "")))
        {
            final String key = generated.node.generatedApiKey();
            assertNotNull(key);
            assertEquals(401, generated.call("GET", "/routes", null, "X-API-Key", KEY).statusCode());
            assertEquals(200, generated.call("GET", "/routes", null, "X-API-Key", key).statusCode());
        }
    }
}
