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

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.soundrelay.control.NodeFixture.KEY;
import static io.soundrelay.control.RawHttp.request;
import static io.soundrelay.control.RawHttp.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every protected endpoint, with every method, refuses every kind of missing, wrong or misplaced key with 401 while
 * AUTH_ENABLED is not set at all (auth is on by default), and accepts a valid key in either header.
 */
class AuthEverywhereTest
{
    private static final String JSON = "Content-Type: application/json";
    private static final String ROUTE = "{\"stream_id\":77,\"source_addr\":\"127.0.0.1:5000\"," +
        "\"target_addrs\":[\"127.0.0.1:5001\"]}";
    private static final String MIGRATE = "{\"stream_id\":77,\"new_node_addr\":\"127.0.0.1:4000\"}";

    /** Method, path and body of every protected call: the endpoints, unknown paths and wrong methods. */
    private static final List<String[]> PROTECTED = List.of(
        new String[] { "POST", "/route", ROUTE },
        new String[] { "GET", "/route/77", null },
        new String[] { "PUT", "/route/77", ROUTE },
        new String[] { "DELETE", "/route/77", null },
        new String[] { "GET", "/routes", null },
        new String[] { "GET", "/routes?limit=5", null },
        new String[] { "POST", "/migrate", MIGRATE },
        new String[] { "GET", "/route/abc", null },
        new String[] { "GET", "/nowhere", null },
        new String[] { "GET", "/ROUTE", null },
        new String[] { "PATCH", "/route/77", ROUTE },
        new String[] { "POST", "/route/77", ROUTE },
        new String[] { "GET", "/route", null },
        new String[] { "DELETE", "/routes", null },
        new String[] { "GET", "/migrate", null },
        new String[] { "OPTIONS", "/route", null });

    private static NodeFixture fixture;

    @BeforeAll
    static void start() throws Exception
    {
        // No per-address limit (UNAUTH_RATE_PER_SECOND=0; HttpFloodTest covers it): every protected call is tried
        // without a key, many times over, and this test is about the 401s.
        fixture = NodeFixture.start(Map.of("UNAUTH_RATE_PER_SECOND", "0"));
    }

    @AfterAll
    static void stop()
    {
        fixture.close();
    }

    @Test
    void authIsOnWithoutAuthEnabledSet()
    {
        assertTrue(fixture.node.config().authEnabled(), "NodeFixture leaves AUTH_ENABLED unset: the default is on");
    }

    @Test
    void everyProtectedCallRefusesWithoutAValidKey() throws Exception
    {
        final String basic = Base64.getEncoder().encodeToString(("api:" + KEY).getBytes(StandardCharsets.UTF_8));
        final String shorter = KEY.substring(0, KEY.length() - 1);
        final List<String[]> refused = List.of(
            new String[] { "no key" },
            new String[] { "wrong Bearer key", "Authorization: Bearer wrong-key-0123456789" },
            new String[] { "wrong X-API-Key", "X-API-Key: wrong-key-0123456789" },
            new String[] { "empty Bearer", "Authorization: Bearer " },
            new String[] { "Bearer alone", "Authorization: Bearer" },
            new String[] { "Bearer without a space", "Authorization: Bearer" + KEY },
            new String[] { "Bearer with a tab", "Authorization: Bearer\t" + KEY },
            new String[] { "empty Authorization", "Authorization: " },
            new String[] { "empty X-API-Key", "X-API-Key: " },
            new String[] { "Bearer key as a prefix", "Authorization: Bearer " + KEY + "x" },
            new String[] { "Bearer key as a suffix", "Authorization: Bearer x" + KEY },
            new String[] { "Bearer key then more", "Authorization: Bearer " + KEY + " x" },
            new String[] { "Bearer key without its last character", "Authorization: Bearer " + shorter },
            new String[] { "Bearer key and a comma", "Authorization: Bearer " + KEY + "," },
            new String[] { "X-API-Key as a prefix", "X-API-Key: " + KEY + "x" },
            new String[] { "X-API-Key as a suffix", "X-API-Key: x" + KEY },
            new String[] { "X-API-Key then more", "X-API-Key: " + KEY + " x" },
            new String[] { "X-API-Key without its last character", "X-API-Key: " + shorter },
            new String[] { "X-API-Key with a scheme", "X-API-Key: Bearer " + KEY },
            new String[] { "Basic with the key as password", "Authorization: Basic " + basic },
            new String[] { "Basic with the bare key", "Authorization: Basic " + KEY },
            new String[] { "Authorization without a scheme", "Authorization: " + KEY },
            new String[] { "Token scheme", "Authorization: Token " + KEY },
            new String[] { "key in a cookie", "Cookie: api_key=" + KEY },
            new String[] { "key in another header", "X-Auth-Token: " + KEY },
            new String[] { "key in the query?api_key", "?api_key=" + KEY },
            new String[] { "key in the query?key&access_token", "?key=" + KEY + "&access_token=" + KEY });

        final InetSocketAddress api = fixture.node.apiAddress();
        final List<String> failures = new ArrayList<>();
        for (final String[] call : PROTECTED)
        {
            for (final String[] credential : refused)
            {
                final RawHttp.Reply reply = RawHttp.send(api, call(call, credential));
                if (reply.status != 401 || !"Bearer".equals(reply.header("WWW-Authenticate")) ||
                    reply.jsonError() == null)
                {
                    failures.add(call[0] + " " + call[1] + " with " + credential[0] + ": " + reply.text());
                }
            }
        }
        assertEquals(List.of(), failures, "every call without a valid key answers 401, WWW-Authenticate: Bearer");
    }

    @Test
    void everyProtectedCallAcceptsAValidKeyInEitherHeader() throws Exception
    {
        final List<String[]> accepted = List.of(
            new String[] { "Bearer", "Authorization: Bearer " + KEY },
            new String[] { "bearer in lower case (RFC 7235: case-insensitive)", "Authorization: bearer " + KEY },
            new String[] { "BEARER in upper case", "Authorization: BEARER " + KEY },
            new String[] { "Bearer and two spaces (RFC 7235: 1*SP)", "Authorization: Bearer  " + KEY },
            new String[] { "X-API-Key", "X-API-Key: " + KEY },
            new String[] { "x-api-key in lower case", "x-api-key: " + KEY },
            // RFC 9110 5.5: whitespace around a field value is not part of it, and Undertow strips it before any
            // handler runs: these are the key itself. (A trailing control character is refused by Undertow with 400.)
            new String[] { "Bearer key and a trailing space", "Authorization: Bearer " + KEY + " " },
            new String[] { "X-API-Key and a trailing tab", "X-API-Key: " + KEY + "\t" });

        final InetSocketAddress api = fixture.node.apiAddress();
        final List<String> failures = new ArrayList<>();
        for (final String[] call : PROTECTED)
        {
            for (final String[] credential : accepted)
            {
                final RawHttp.Reply reply = RawHttp.send(api, call(call, credential));
                if (reply.status == 401 || reply.status < 200)
                {
                    failures.add(call[0] + " " + call[1] + " with " + credential[0] + ": " + reply.text());
                }
            }
        }
        assertEquals(List.of(), failures, "a valid key is accepted from either header");

        final RawHttp.Reply created = RawHttp.send(api, request("POST", "/route", utf8(ROUTE.replace("77", "78")),
            "X-API-Key: " + KEY, JSON));
        assertEquals(201, created.status, created.text());
        assertEquals(204,
            RawHttp.send(api, request("DELETE", "/route/78", null, "Authorization: Bearer " + KEY)).status);
    }

    @Test
    void healthAndMetricsNeedNoKey() throws Exception
    {
        final InetSocketAddress api = fixture.node.apiAddress();
        assertEquals(200, RawHttp.send(api, request("GET", "/health", null)).status);
        assertEquals(200, RawHttp.send(api, request("GET", "/metrics", null)).status);
        assertEquals(200,
            RawHttp.send(api, request("GET", "/health", null, "Authorization: Bearer wrong-key-01234")).status,
            "a wrong key on an open endpoint is not looked at");
    }

    @Test
    void withAuthDisabledProtectedEndpointsNeedNoKey() throws Exception
    {
        try (NodeFixture open = NodeFixture.start(Map.of("AUTH_ENABLED", "false")))
        {
            final InetSocketAddress api = open.node.apiAddress();
            final RawHttp.Reply created = RawHttp.send(api, request("POST", "/route", utf8(ROUTE), JSON));
            assertEquals(201, created.status, created.text());
            assertEquals(200, RawHttp.send(api, request("GET", "/route/77", null)).status);
            assertEquals(200, RawHttp.send(api, request("PUT", "/route/77", utf8(ROUTE), JSON)).status);
            assertEquals(200, RawHttp.send(api, request("GET", "/routes", null)).status);
            assertEquals(200, RawHttp.send(api, request("GET", "/routes", null, "X-API-Key: wrong-key-0123456789",
                "X-API-Key: " + KEY)).status, "credentials are not looked at when auth is off");
            assertEquals(409, RawHttp.send(api, request("POST", "/migrate", utf8(MIGRATE), JSON)).status,
                "authorized, and refused only because this node runs without Redis");
            assertEquals(204, RawHttp.send(api, request("DELETE", "/route/77", null)).status);
            final RawHttp.Reply unknown = RawHttp.send(api, request("GET", "/nowhere", null));
            assertEquals(404, unknown.status);
            assertNotNull(unknown.jsonError());
            assertNotEquals("Bearer", unknown.header("WWW-Authenticate"));
        }
    }

    private static byte[] call(final String[] call, final String[] credential)
    {
        String target = call[1];
        final List<String> headers = new ArrayList<>();
        for (int i = 1; i < credential.length; i++)
        {
            if (credential[i].startsWith("?"))
            {
                target += (target.contains("?") ? "&" : "?") + credential[i].substring(1);
            }
            else
            {
                headers.add(credential[i]);
            }
        }
        if (call[2] != null)
        {
            headers.add(JSON);
        }
        return request(call[0], target, call[2] == null ? null : utf8(call[2]), headers.toArray(new String[0]));
    }
}
