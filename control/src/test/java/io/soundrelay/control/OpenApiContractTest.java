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

import io.soundrelay.control.api.ControlServer;
import io.soundrelay.control.redis.StoredRoute;
import io.soundrelay.core.json.Json;
import io.soundrelay.core.json.JsonNumber;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

import static io.soundrelay.control.OpenApiContract.Req.ANY;
import static io.soundrelay.control.OpenApiContract.Req.CONFORMS;
import static io.soundrelay.control.OpenApiContract.Req.VIOLATES;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/reference/openapi.yaml is true of a running node: every endpoint is called over real HTTP on real nodes (two on
 * one Redis, the mixer on; one alone with tight limits), with its success and its errors, and every request and answer
 * is checked against the document by a maintained OpenAPI validator. The document may not hold an operation or a
 * status no call exercised, and the node may not serve an endpoint the document lacks (the last test, so the class
 * runs as a whole). docs/reference/openapi.md's endpoint table is made from the document here too.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenApiContractTest
{
    private static final String KEY = "Authorization: Bearer " + NodeFixture.KEY;
    private static final String X_KEY = "X-API-Key: " + NodeFixture.KEY;
    private static final String WRONG_KEY = "Authorization: Bearer wrong-key";
    private static final String JSON = "Content-Type: application/json";
    /** Above 2^53: a bare JSON number of it is rounded by JavaScript, so answers write it as a string. */
    private static final long BIG_ID = 4726593916199531359L;
    private static final String TABLE_START = "<!-- endpoints: made from openapi.yaml by OpenApiContractTest -->";
    private static final String TABLE_END = "<!-- end of endpoints -->";

    private static OpenApiContract contract;
    private static RedisServer redis;
    private static NodeFixture a;
    private static NodeFixture b;
    private static NodeFixture alone;
    private static final List<DatagramChannel> sockets = new ArrayList<>();
    private static DatagramChannel source900;

    @BeforeAll
    static void start() throws Exception
    {
        contract = new OpenApiContract();
        redis = RedisServer.start();
        a = NodeFixture.start(cluster("openapi-a", "ENABLE_MIXER", "true"));
        b = NodeFixture.start(cluster("openapi-b"));
        // Alone: no Redis, room for two routes, one relay port, a tight limit on requests without a key, and a short
        // body deadline so that a body cut short is answered soon.
        final Map<String, String> env = new HashMap<>();
        env.put("NODE_ID", "openapi-alone");
        env.put("MAX_STREAMS_PER_NODE", "2");
        env.put("RELAY_PORTS", RelayPortKit.setting(RelayPortKit.freeRange(1)));
        env.put("UNAUTH_RATE_PER_SECOND", "1");
        env.put("UNAUTH_RATE_BURST", "1");
        alone = NodeFixture.start(env, new ControlServer.Timeouts(10_000, 1_000, 30_000, 30_000));
    }

    private static Map<String, String> cluster(final String id, final String... settings)
    {
        final Map<String, String> env = new HashMap<>();
        env.put("REDIS_URL", redis.url());
        env.put("NODE_ID", id);
        env.put("MIGRATION_GRACE_SECONDS", "60");
        env.put("RELAY_PORTS", RelayPortKit.setting(RelayPortKit.freeRange(4)));
        for (int i = 0; i < settings.length; i += 2)
        {
            env.put(settings[i], settings[i + 1]);
        }
        return env;
    }

    @AfterAll
    static void stop() throws Exception
    {
        for (final NodeFixture node : new NodeFixture[] {alone, b, a})
        {
            if (node != null)
            {
                node.close();
            }
        }
        for (final DatagramChannel socket : sockets)
        {
            socket.close();
        }
        if (redis != null)
        {
            redis.close();
        }
    }

    private static String addr() throws Exception
    {
        final DatagramChannel socket = NodeFixture.udp();
        sockets.add(socket);
        return NodeFixture.addr(socket);
    }

    /**
     * @param operation such as {@code "GET /route/{id}"}.
     * @return a method and a target for it: {@code {"GET", "/route/1"}}.
     */
    private static String[] sample(final String operation)
    {
        final String[] parts = operation.split(" ", 2);
        return new String[] {parts[0], parts[1].replace("{id}", "1").replace("{code}", "band")};
    }

    private static Map<?, ?> json(final RawHttp.Reply reply)
    {
        return (Map<?, ?>)Json.parse(reply.body);
    }

    private static String route(final String id, final String extra) throws Exception
    {
        return "{\"stream_id\":" + id + ",\"source_addr\":\"" + addr() + "\",\"target_addrs\":[\"" + addr() + "\"]" +
            extra + "}";
    }

    @Test
    @Order(1)
    void theOpenEndpointsAnswerWithoutAKey() throws Exception
    {
        final Map<?, ?> index = json(contract.call(a, 200, CONFORMS, "GET", "/", null));
        assertEquals("openapi-a", index.get("node_id"));
        final Map<?, ?> health = json(contract.call(a, 200, CONFORMS, "GET", "/health", null));
        assertEquals("connected", health.get("redis"));
        assertNotNull(health.get("redis_queue"), "with Redis, /health shows its write queue");
        final Map<?, ?> aloneHealth = json(contract.call(alone, 200, CONFORMS, "GET", "/health", null, KEY));
        assertEquals("disabled", aloneHealth.get("redis"));
        contract.call(a, 200, CONFORMS, "GET", "/livez", null);
        contract.call(a, 200, CONFORMS, "GET", "/readyz", null, X_KEY);
        final RawHttp.Reply metrics = contract.call(a, 200, CONFORMS, "GET", "/metrics", null);
        assertTrue(metrics.body.contains("# TYPE"), metrics.body);
        // A Transfer-Encoding other than chunked: 400 naming it, on every endpoint.
        for (final String operation : contract.operations())
        {
            final String[] request = sample(operation);
            final RawHttp.Reply framing = contract.call(a, 400, ANY, request[0], request[1], null, KEY,
                "Transfer-Encoding: gzip");
            assertEquals("Transfer-Encoding", json(framing).get("field"));
        }
    }

    @Test
    @Order(2)
    void routesAreCreatedReadReplacedListedAndDeleted() throws Exception
    {
        final String big = Long.toUnsignedString(BIG_ID);
        final RawHttp.Reply created = contract.call(a, 201, CONFORMS, "POST", "/route",
            route(big, ",\"room_code\":\"band\",\"deliver\":\"framed\""), KEY, JSON);
        assertEquals(big, json(created).get("stream_id"), "a bare number in, a decimal string out: " + created.body);
        assertEquals("/route/" + big, created.header("Location"));
        final String latching = "{\"stream_id\":\"77\",\"source_addr\":\"127.0.0.1:0\",\"latch\":\"discovery\"," +
            "\"target_addrs\":[\"" + addr() + "\"]}";
        assertTrue(json(contract.call(a, 201, CONFORMS, "POST", "/route", latching, X_KEY, JSON))
            .containsKey("source_latched"));

        final RawHttp.Reply exists = contract.call(a, 409, CONFORMS, "POST", "/route", route(big, ""), KEY, JSON);
        assertEquals("stream_id", json(exists).get("field"));
        contract.call(a, 400, VIOLATES, "POST", "/route", "{\"stream_id\":", KEY, JSON);
        assertEquals("colour", json(contract.call(a, 400, VIOLATES, "POST", "/route", route("5", ",\"colour\":1"),
            KEY, JSON)).get("field"));
        assertEquals("stream_id", json(contract.call(a, 400, VIOLATES, "POST", "/route", route("0", ""), KEY, JSON))
            .get("field"));
        assertEquals("target_addrs", json(contract.call(a, 400, VIOLATES, "POST", "/route",
            "{\"stream_id\":6,\"source_addr\":\"" + addr() + "\",\"target_addrs\":[]}", KEY, JSON)).get("field"));
        assertEquals("jitter_ms", json(contract.call(a, 400, VIOLATES, "POST", "/route",
            route("6", ",\"jitter_ms\":5000"), KEY, JSON)).get("field"));
        final RawHttp.Reply noKey = contract.call(a, 401, VIOLATES, "POST", "/route", route("6", ""), JSON);
        assertEquals("Bearer", noKey.header("WWW-Authenticate"));
        contract.call(a, 401, ANY, "POST", "/route", route("6", ""), WRONG_KEY, JSON);
        contract.call(a, 400, ANY, "POST", "/route", route("6", ""), KEY, X_KEY, JSON);
        contract.call(a, 415, VIOLATES, "POST", "/route", route("6", ""), KEY, "Content-Type: text/plain");
        final String huge = route("6", ",\"room_code\":\"" + "x".repeat(70 * 1024) + "\"");
        contract.call(a, 413, ANY, "POST", "/route", huge, KEY, JSON);

        final Map<?, ?> read = json(contract.call(a, 200, CONFORMS, "GET", "/route/" + big, null, KEY));
        assertEquals("openapi-a", read.get("node_id"));
        final Map<?, ?> elsewhere = json(contract.call(b, 200, CONFORMS, "GET", "/route/" + big, null, KEY));
        assertEquals("openapi-a", elsewhere.get("node_id"), "any node answers for a route in Redis");
        assertEquals(Json.NULL, elsewhere.get("packets_in"), "its counters live on its owner");
        assertEquals("stream_id", json(contract.call(a, 404, CONFORMS, "GET", "/route/123456", null, KEY))
            .get("field"));
        // A record in Redis that is not a route: 502, naming the stream.
        redis.cli().set(StoredRoute.key(555), "{\"not\":\"a route\"}");
        assertEquals("stream_id", json(contract.call(a, 502, CONFORMS, "GET", "/route/555", null, KEY)).get("field"));
        redis.cli().del(StoredRoute.key(555));
        contract.call(a, 400, VIOLATES, "GET", "/route/abc", null, KEY);
        contract.call(a, 400, VIOLATES, "GET", "/route/0", null, KEY);
        contract.call(a, 401, VIOLATES, "GET", "/route/" + big, null);

        final RawHttp.Reply replaced = contract.call(a, 200, CONFORMS, "PUT", "/route/" + big,
            "{\"source_addr\":\"" + addr() + "\",\"target_addrs\":[\"" + addr() + "\",\"" + addr() + "\"]," +
            "\"jitter_ms\":20,\"pace_ms\":40,\"room_code\":\"band\"}", KEY, JSON);
        assertEquals(2, ((List<?>)json(replaced).get("target_addrs")).size());
        contract.call(a, 200, CONFORMS, "PUT", "/route/77", "{\"stream_id\":77,\"source_addr\":\"127.0.0.1:0\"," +
            "\"target_addrs\":[\"" + addr() + "\"],\"source_latched\":null,\"room_code\":null}", KEY, JSON);
        assertTrue(contract.call(b, 404, CONFORMS, "PUT", "/route/" + big, route(big, ""), KEY, JSON).body
            .contains("openapi-a"), "a change sent to another node names the owner");
        contract.call(a, 404, CONFORMS, "PUT", "/route/123456", route("123456", ""), KEY, JSON);
        contract.call(a, 400, ANY, "PUT", "/route/" + big, route("5", ""), KEY, JSON);
        contract.call(a, 400, VIOLATES, "PUT", "/route/" + big, route(big, ",\"deliver\":\"loud\""), KEY, JSON);
        contract.call(a, 415, VIOLATES, "PUT", "/route/" + big, route(big, ""), KEY, "Content-Type: text/xml");
        contract.call(a, 413, ANY, "PUT", "/route/" + big, huge, KEY, JSON);
        contract.call(a, 401, VIOLATES, "PUT", "/route/" + big, route(big, ""), JSON);

        final Map<?, ?> first = json(contract.call(a, 200, CONFORMS, "GET", "/routes?limit=1", null, KEY));
        final Object cursor = first.get("next_cursor");
        assertEquals("77", cursor, "pages run by stream id, and the cursor is a string");
        final Map<?, ?> last = json(contract.call(a, 200, CONFORMS, "GET", "/routes?limit=1&cursor=" + cursor, null,
            KEY));
        assertEquals(big, ((Map<?, ?>)((List<?>)last.get("routes")).get(0)).get("stream_id"));
        assertEquals(Json.NULL, last.get("next_cursor"));
        assertEquals("limit", json(contract.call(a, 400, VIOLATES, "GET", "/routes?limit=0", null, KEY))
            .get("field"));
        assertEquals("cursor", json(contract.call(a, 400, VIOLATES, "GET", "/routes?cursor=abc", null, KEY))
            .get("field"));
        contract.call(a, 401, VIOLATES, "GET", "/routes", null);

        contract.call(a, 204, CONFORMS, "DELETE", "/route/77", null, KEY);
        contract.call(a, 404, CONFORMS, "DELETE", "/route/77", null, KEY);
        contract.call(a, 400, VIOLATES, "DELETE", "/route/-1", null, KEY);
        contract.call(a, 401, VIOLATES, "DELETE", "/route/" + big, null);
    }

    @Test
    @Order(3)
    void roomsShowTheMixer() throws Exception
    {
        NodeFixture.waitFor("room band on node a", () -> status(a, "/rooms/band") == 200);
        final Map<?, ?> rooms = json(contract.call(a, 200, CONFORMS, "GET", "/rooms", null, KEY));
        assertEquals(Boolean.TRUE, rooms.get("mixer_enabled"));
        contract.call(a, 200, CONFORMS, "GET", "/rooms/band", null, KEY);
        assertEquals("room_code", json(contract.call(a, 404, CONFORMS, "GET", "/rooms/nobody", null, KEY))
            .get("field"));
        contract.call(a, 400, VIOLATES, "GET", "/rooms/no%20spaces", null, KEY);
        contract.call(a, 401, VIOLATES, "GET", "/rooms", null);
        contract.call(a, 401, VIOLATES, "GET", "/rooms/band", null);
        assertEquals(Boolean.FALSE, json(contract.call(alone, 200, CONFORMS, "GET", "/rooms", null, KEY))
            .get("mixer_enabled"));
        contract.call(alone, 404, CONFORMS, "GET", "/rooms/band", null, KEY);
    }

    private static int status(final NodeFixture node, final String path)
    {
        try
        {
            return node.authed("GET", path, null).statusCode();
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    private static int nodeCount(final NodeFixture node)
    {
        try
        {
            return ((List<?>)((Map<?, ?>)Json.parse(node.authed("GET", "/nodes", null).body())).get("nodes")).size();
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    @Test
    @Order(4)
    void nodesAndMigration() throws Exception
    {
        NodeFixture.waitFor("both nodes in Redis", () -> nodeCount(a) == 2);
        assertEquals(2, ((List<?>)json(contract.call(a, 200, CONFORMS, "GET", "/nodes", null, KEY)).get("nodes"))
            .size());
        assertEquals(1, ((List<?>)json(contract.call(alone, 200, CONFORMS, "GET", "/nodes", null, KEY)).get("nodes"))
            .size(), "without Redis the node lists itself");
        contract.call(a, 401, VIOLATES, "GET", "/nodes", null);

        source900 = NodeFixture.udp();
        sockets.add(source900);
        contract.call(a, 201, CONFORMS, "POST", "/route", "{\"stream_id\":900,\"source_addr\":\"" +
            NodeFixture.addr(source900) + "\",\"target_addrs\":[\"" + addr() + "\"],\"return_path\":true}", KEY, JSON);
        final String bRelay = "127.0.0.1:" + b.relay().getPort();
        final Map<?, ?> moved = json(contract.call(a, 200, CONFORMS, "POST", "/migrate",
            "{\"stream_id\":900,\"new_node_addr\":\"" + bRelay + "\"}", KEY, JSON));
        assertEquals("900", moved.get("stream_id"));
        assertEquals("openapi-b", moved.get("to_node"));
        contract.call(a, 404, CONFORMS, "POST", "/migrate", "{\"stream_id\":\"31337\",\"new_node_addr\":\"" + bRelay +
            "\"}", KEY, JSON);
        final RawHttp.Reply notLive = contract.call(a, 400, CONFORMS, "POST", "/migrate",
            "{\"stream_id\":\"" + Long.toUnsignedString(BIG_ID) + "\",\"new_node_addr\":\"127.0.0.1:9\"}", KEY, JSON);
        assertEquals("new_node_addr", json(notLive).get("field"));
        contract.call(a, 400, VIOLATES, "POST", "/migrate", "{\"stream_id\":1}", KEY, JSON);
        contract.call(a, 400, VIOLATES, "POST", "/migrate", "[]", KEY, JSON);
        contract.call(a, 415, VIOLATES, "POST", "/migrate", "{}", KEY, "Content-Type: application/xml");
        contract.call(a, 413, ANY, "POST", "/migrate", "{\"stream_id\":\"" + "1".repeat(70_000) + "\"}", KEY, JSON);
        contract.call(a, 401, VIOLATES, "POST", "/migrate", "{}", JSON);
        contract.call(alone, 409, CONFORMS, "POST", "/migrate", "{\"stream_id\":1,\"new_node_addr\":\"" + bRelay +
            "\"}", KEY, JSON);
        contract.call(a, 401, VIOLATES, "POST", "/drain", null);
    }

    @Test
    @Order(5)
    void aFullNodeAndItsLimits() throws Exception
    {
        final Map<?, ?> withPort = json(contract.call(alone, 201, CONFORMS, "POST", "/route",
            route("1", ",\"return_path\":true"), KEY, JSON));
        assertTrue(withPort.get("relay_port") instanceof JsonNumber, "a return path has a relay port: " + withPort);
        final RawHttp.Reply noPort = contract.call(alone, 503, CONFORMS, "POST", "/route",
            route("2", ",\"return_path\":true"), KEY, JSON);
        assertEquals("return_path", json(noPort).get("field"));
        contract.call(alone, 201, CONFORMS, "POST", "/route", route("2", ""), KEY, JSON);
        final RawHttp.Reply full = contract.call(alone, 503, CONFORMS, "POST", "/route", route("3", ""), KEY, JSON);
        assertTrue(full.body.contains("MAX_STREAMS_PER_NODE"), full.body);
        assertEquals("not_ready", json(contract.call(alone, 503, CONFORMS, "GET", "/readyz", null, KEY))
            .get("status"));

        // A body that stops short of its Content-Length: 408 at the body deadline.
        final byte[] announced = route("4", "").getBytes(StandardCharsets.UTF_8);
        for (final String[] request : new String[][] {{"POST", "/route"}, {"PUT", "/route/1"}, {"POST", "/migrate"}})
        {
            final String length = "Content-Length: " + announced.length;
            final byte[] raw = RawHttp.raw(request[0] + " " + request[1] + " HTTP/1.1", new byte[] {'{', '"'},
                "Host: 127.0.0.1", KEY, JSON, length);
            contract.callRaw(alone, 408, ANY, request[0], request[1], announced, raw, KEY, JSON, length);
        }

        // Over UNAUTH_RATE_PER_SECOND without a valid key: 429 with Retry-After, open endpoints and failed keys alike.
        for (final String operation : contract.operations())
        {
            final RawHttp.Reply limited = retryUntil429(sample(operation), !contract.open(operation));
            assertTrue(limited.header("Retry-After") != null, operation + ": 429 without Retry-After");
        }
    }

    private static RawHttp.Reply retryUntil429(final String[] request, final boolean secured) throws Exception
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        final String[] headers = secured ? new String[] {WRONG_KEY} : new String[0];
        while (System.nanoTime() < deadline)
        {
            final RawHttp.Reply reply = RawHttp.send(alone.node.apiAddress(),
                RawHttp.request(request[0], request[1], null, headers));
            if (reply.status == 429)
            {
                return contract.check(reply, 429, ANY, request[0], request[1], null, headers);
            }
        }
        throw new AssertionError("no 429 within 30 s for " + String.join(" ", request));
    }

    @Test
    @Order(6)
    void aDrainingNodeSaysSoEverywhere() throws Exception
    {
        // b owns stream 900 since the migration; its source keeps sending to b, which holds b's drain in its
        // forwarding phase (until the source has been quiet for 2 s) while the test looks at it.
        final AtomicBoolean sending = new AtomicBoolean(true);
        final Thread sender = new Thread(() ->
        {
            long seq = 0;
            while (sending.get())
            {
                try
                {
                    b.send(source900, NodeFixture.frame(900, 0, seq++, new byte[32]));
                }
                catch (final Exception ex)
                {
                    return;
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        }, "openapi-source-900");
        sender.start();
        try
        {
            assertEquals("drain started", json(contract.call(b, 202, CONFORMS, "POST", "/drain", null, KEY))
                .get("message"));
            assertEquals("a drain is already in progress", json(contract.call(b, 202, CONFORMS, "POST", "/drain",
                null, X_KEY)).get("message"));
            assertEquals("draining", json(contract.call(b, 200, CONFORMS, "GET", "/health", null)).get("status"));
            assertTrue(contract.call(b, 503, CONFORMS, "GET", "/readyz", null).body.contains("draining"));
            assertTrue(contract.call(b, 503, CONFORMS, "POST", "/route", route("901", ""), KEY, JSON).body
                .contains("draining"));
        }
        finally
        {
            sending.set(false);
            sender.join();
        }
        assertTrue(b.node.awaitClose(60, TimeUnit.SECONDS), "b stops once its source has moved on");

        // Alone (no Redis, so no peer): it keeps its routes and stops at once.
        assertEquals("drain started", json(contract.call(alone, 202, CONFORMS, "POST", "/drain", null, KEY))
            .get("message"));
        assertTrue(alone.node.awaitClose(60, TimeUnit.SECONDS), "a node alone stops at once once drained");
    }

    @Test
    @Order(7)
    void pathsAndMethodsTheDocumentLacksAreErrors() throws Exception
    {
        contract.undocumented(a, 405, "PATCH", "/route/1", KEY);
        contract.undocumented(a, 405, "DELETE", "/routes", KEY);
        contract.undocumented(a, 405, "POST", "/health");
        contract.undocumented(a, 404, "GET", "/no-such-thing", KEY);
        contract.undocumented(a, 401, "GET", "/no-such-thing");
    }

    @Test
    @Order(8)
    void theReferencePageListsTheDocumentsEndpoints() throws Exception
    {
        final Path page = OpenApiContract.SPEC.resolveSibling("openapi.md");
        final String text = Files.readString(page);
        final int from = text.indexOf(TABLE_START);
        final int to = text.indexOf(TABLE_END);
        assertTrue(from >= 0 && to > from, page + " has no " + TABLE_START + " ... " + TABLE_END + " block");
        final String expected = TABLE_START + "\n" + contract.endpointTable();
        if (Boolean.getBoolean("soundrelay.openapi.write"))
        {
            Files.writeString(page, text.substring(0, from) + expected + text.substring(to));
            return;
        }
        assertEquals(expected, text.substring(from, to), page + " lists other endpoints than " +
            OpenApiContract.SPEC + "; rewrite it with -Dsoundrelay.openapi.write=true");
    }

    @Test
    @Order(9)
    void theDocumentHasEveryEndpointTheNodeServesAndEachWasExercised() throws Exception
    {
        final Set<String> documented = contract.operations();
        final Set<String> served = new TreeSet<>(List.of("GET /"));
        for (final Object endpoint : (List<?>)json(RawHttp.send(a.node.apiAddress(),
            RawHttp.request("GET", "/", null, KEY))).get("endpoints"))
        {
            served.add((String)endpoint);
        }
        assertEquals(served, documented, "the node's routing table (GET /) and the document's operations");

        final Map<String, Set<Integer>> seen = contract.seen();
        final Set<String> unexercised = new TreeSet<>(documented);
        unexercised.removeAll(seen.keySet());
        assertTrue(unexercised.isEmpty(), "operations of the document no call exercised: " + unexercised);

        final Map<String, Set<Integer>> missing = new TreeMap<>();
        for (final Map.Entry<String, Set<Integer>> op : contract.documentedStatuses().entrySet())
        {
            final Set<Integer> got = seen.get(op.getKey());
            final Set<Integer> left = new TreeSet<>(op.getValue());
            left.removeAll(got);
            if (!left.isEmpty())
            {
                missing.put(op.getKey(), left);
            }
        }
        // Every status of every operation was produced but those a healthy node does not give: 503 (shutting down,
        // Redis or the data plane too slow; POST /route's and /readyz's 503s are produced) and POST /migrate's 504
        // (the new node did not confirm in time).
        missing.values().removeIf(Set.of(503, 504)::containsAll);
        assertTrue(missing.isEmpty(), "statuses of the document no call produced: " + missing);
    }
}
