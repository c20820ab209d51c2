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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static io.soundrelay.control.NodeFixture.KEY;
import static io.soundrelay.control.RawHttp.concat;
import static io.soundrelay.control.RawHttp.raw;
import static io.soundrelay.control.RawHttp.request;
import static io.soundrelay.control.RawHttp.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A corpus of malformed and hostile requests, sent over raw sockets to a real node: each is refused with a 4xx, none
 * shows a stack trace, and the node answers normally afterwards.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileHttpTest
{
    private static final String AUTH = "X-API-Key: " + KEY;
    private static final String JSON = "Content-Type: application/json";
    private static final String SRC = "\"source_addr\":\"127.0.0.1:5000\"";
    private static final String TGT = "\"target_addrs\":[\"127.0.0.1:5001\"]";
    /** A route request that would be created if it got through: stream 4242. */
    private static final String VALID = "{\"stream_id\":4242," + SRC + "," + TGT + "}";

    private static NodeFixture fixture;

    /** Who answers a case. */
    enum By
    {
        /** The control API: the status expected, a JSON body with an "error" string. */
        API,
        /** Undertow, before the API sees the request: a 4xx without a body, and the connection closed. */
        PROTOCOL,
        /** Undertow's chunked decoder: it closes the connection without an answer. */
        CLOSE
    }

    /** One hostile request and what should come of it. */
    static final class Case
    {
        final String name;
        final By by;
        final int status;
        final String field;
        final byte[] request;
        boolean halfClose;

        Case(final String name, final By by, final int status, final String field, final byte[] request)
        {
            this.name = name;
            this.by = by;
            this.status = status;
            this.field = field;
            this.request = request;
        }

        /** The client ends its stream after the request, as one that gives up would. */
        Case halfClose()
        {
            halfClose = true;
            return this;
        }

        public String toString()
        {
            return name;
        }
    }

    @BeforeAll
    static void start() throws Exception
    {
        // No per-address limit (UNAUTH_RATE_PER_SECOND=0; HttpFloodTest covers it): hundreds of requests without a
        // key from one address, and this test is about what each one gets.
        fixture = NodeFixture.start(Map.of("UNAUTH_RATE_PER_SECOND", "0"));
    }

    @AfterAll
    static void stop()
    {
        fixture.close();
    }

    static List<Case> corpus()
    {
        final List<Case> c = new ArrayList<>();

        // Bad JSON.
        c.add(api("truncated JSON", 400, null, post("/route", utf8("{\"stream_id\":1," + SRC))));
        c.add(api("trailing garbage", 400, null, post("/route", utf8(VALID + "xyz"))));
        c.add(api("two JSON values", 400, null, post("/route", utf8(VALID + VALID))));
        c.add(api("NaN", 400, null, post("/route", utf8("{\"stream_id\":NaN," + SRC + "," + TGT + "}"))));
        c.add(api("Infinity", 400, null,
            post("/route", utf8("{\"stream_id\":-Infinity," + SRC + "," + TGT + "}"))));
        c.add(api("single quotes", 400, null,
            post("/route", utf8("{'stream_id':4242,'source_addr':'127.0.0.1:5000'}"))));
        c.add(api("comment", 400, null, post("/route", utf8("/* hi */" + VALID))));
        c.add(api("byte order mark", 400, null, post("/route", concat(new byte[] { (byte)0xEF, (byte)0xBB, (byte)0xBF },
            utf8(VALID)))));
        c.add(api("invalid UTF-8", 400, null, post("/route", roomCodeOf((byte)'a', (byte)0xC3, (byte)0x28))));
        c.add(api("overlong UTF-8 slash", 400, null, post("/route", roomCodeOf((byte)0xC0, (byte)0xAF))));
        c.add(api("UTF-8 encoded surrogate", 400, null,
            post("/route", roomCodeOf((byte)0xED, (byte)0xA0, (byte)0x80))));
        c.add(api("UTF-8 cut short", 400, null, post("/route", roomCodeOf((byte)'a', (byte)0xE2, (byte)0x82))));
        c.add(api("NUL byte in body", 400, null, post("/route", concat(utf8("{\"stream_id\":4242"), new byte[] { 0 },
            utf8("," + SRC + "," + TGT + "}")))));
        c.add(api("control character in a string", 400, null, post("/route",
            utf8("{\"stream_id\":4242,\"room_code\":\"a\tb\"," + SRC + "," + TGT + "}"))));
        c.add(api("unterminated string", 400, null, post("/route", utf8("{\"stream_id\":\"4242}"))));
        c.add(api("duplicate key", 400, null,
            post("/route", utf8("{\"stream_id\":1,\"stream_id\":4242," + SRC + "," + TGT + "}"))));
        c.add(api("JSON null", 400, null, post("/route", utf8("null"))));
        c.add(api("JSON string", 400, null, post("/route", utf8("\"" + VALID.replace("\"", "\\\"") + "\""))));
        c.add(api("empty object", 400, "stream_id", post("/route", utf8("{}"))));
        c.add(api("whitespace only", 400, null, post("/route", utf8(" \r\n\t "))));
        c.add(api("unknown field with NUL escape", 400, "stream_id\u0000", post("/route",
            utf8("{\"stream_id\\u0000\":4242," + SRC + "," + TGT + "}"))));
        c.add(api("PUT with garbage, no such route", 404, "stream_id", put("/route/4242", utf8("}{"))));

        // Deep nesting: a recursive parser would overflow its stack; this one stops at 32 levels.
        c.add(api("60k [ (under 64 KiB)", 400, null, post("/route", utf8("[".repeat(60_000)))));
        c.add(api("100k [ (over 64 KiB)", 413, null, post("/route", utf8("[".repeat(100_000)))));
        c.add(api("6k nested objects", 400, null, post("/route", utf8("{\"a\":".repeat(6_000) + "1" +
            "}".repeat(6_000)))));
        c.add(api("nesting inside a field", 400, null, post("/route", utf8("{\"stream_id\":" + "[".repeat(40) + "1" +
            "]".repeat(40) + "," + SRC + "," + TGT + "}"))));

        // Huge numbers.
        c.add(api("stream_id 1e400", 400, "stream_id", post("/route", route("1e400", ""))));
        c.add(api("stream_id -1e400", 400, "stream_id", post("/route", route("-1e400", ""))));
        c.add(api("stream_id 1e-400", 400, "stream_id", post("/route", route("1e-400", ""))));
        c.add(api("stream_id 2^64", 400, "stream_id", post("/route", route("18446744073709551616", ""))));
        c.add(api("stream_id 10k digits", 400, "stream_id", post("/route", route("9".repeat(10_000), ""))));
        c.add(api("stream_id string of 10k digits", 400, "stream_id", post("/route",
            route("\"" + "9".repeat(10_000) + "\"", ""))));
        c.add(api("stream_id -0", 400, "stream_id", post("/route", route("-0", ""))));
        c.add(api("jitter_ms 1e400", 400, "jitter_ms", post("/route", route("4242", ",\"jitter_ms\":1e400"))));
        c.add(api("jitter_ms 2^63", 400, "jitter_ms",
            post("/route", route("4242", ",\"jitter_ms\":9223372036854775808"))));
        c.add(api("jitter_ms 10k digits", 400, "jitter_ms", post("/route", route("4242",
            ",\"jitter_ms\":" + "9".repeat(10_000)))));
        c.add(api("jitter_ms 2^31", 400, "jitter_ms", post("/route", route("4242", ",\"jitter_ms\":2147483648"))));

        // Content types: a body is application/json or has no Content-Type at all.
        c.add(api("text/plain", 415, "Content-Type", post("/route", utf8(VALID), "Content-Type: text/plain")));
        c.add(api("form-encoded", 415, "Content-Type", post("/route", utf8("stream_id=4242"),
            "Content-Type: application/x-www-form-urlencoded")));
        c.add(api("multipart", 415, "Content-Type", post("/route", utf8("--x\r\nContent-Disposition: form-data; " +
            "name=\"r\"\r\n\r\n" + VALID + "\r\n--x--\r\n"), "Content-Type: multipart/form-data; boundary=x")));
        c.add(api("JSON in UTF-16", 415, "Content-Type", post("/route", VALID.getBytes(StandardCharsets.UTF_16BE),
            "Content-Type: application/json; charset=utf-16")));
        c.add(api("application/jsonx", 415, "Content-Type",
            post("/route", utf8(VALID), "Content-Type: application/jsonx")));
        c.add(api("+json suffix", 415, "Content-Type", post("/route", utf8(VALID),
            "Content-Type: application/vnd.soundrelay+json")));
        c.add(api("two Content-Types", 415, "Content-Type", post("/route", utf8(VALID), JSON,
            "Content-Type: text/plain")));
        c.add(api("empty Content-Type", 415, "Content-Type", post("/route", utf8(VALID), "Content-Type:")));
        c.add(api("PUT text/plain", 415, "Content-Type", put("/route/4242", utf8(VALID), "Content-Type: text/plain")));
        c.add(api("JSON with a wrong charset only", 415, "Content-Type", post("/route", utf8(VALID),
            "Content-Type: application/json; charset=latin1")));

        // Path tricks.
        c.add(api("/route/%2e%2e", 400, "stream_id", get("/route/%2e%2e")));
        c.add(api("/route/..%2f..%2fetc%2fpasswd", 400, "stream_id", get("/route/..%2f..%2fetc%2fpasswd")));
        c.add(api("/route/../health", 400, "stream_id", get("/route/../health")));
        c.add(api("/route/-1", 400, "stream_id", get("/route/-1")));
        c.add(api("/route/0", 400, "stream_id", get("/route/0")));
        c.add(api("/route/+1", 400, "stream_id", get("/route/+1")));
        c.add(api("/route/1%00", 400, "stream_id", get("/route/1%00")));
        c.add(api("/route/%31 is /route/1, which does not exist", 404, "stream_id", get("/route/%31")));
        c.add(api("/route/ fullwidth digit", 400, "stream_id", get("/route/%EF%BC%91")));
        c.add(api("/route/2^64", 400, "stream_id", get("/route/18446744073709551616")));
        c.add(api("/route/ 23 digits", 400, "stream_id", get("/route/00000000000000000000001")));
        c.add(api("/route/1e3", 400, "stream_id", get("/route/1e3")));
        c.add(api("/route/0x10", 400, "stream_id", get("/route/0x10")));
        c.add(api("/ROUTE", 404, null, get("/ROUTE")));
        c.add(api("/Route/1", 404, null, get("/Route/1")));
        c.add(api("/route//1", 400, "stream_id", get("/route//1")));
        c.add(api("/route/1/", 400, "stream_id", get("/route/1/")));
        c.add(api("//route", 404, null, get("//route")));
        c.add(api("/route/ (no id)", 400, "stream_id", get("/route/")));
        c.add(api("/route/1%2f2", 400, "stream_id", get("/route/1%2f2")));
        c.add(protocol("/route?x=%zz", get("/route?x=%zz")));
        c.add(protocol("/routes?limit=%zz", get("/routes?limit=%zz")));
        c.add(api("path of 8 KiB", 404, null, get("/" + "a".repeat(8 * 1024))));
        c.add(api("/route/ with 8 KiB of digits", 400, "stream_id", get("/route/" + "1".repeat(8 * 1024))));
        c.add(api("/routes?limit=abc", 400, "limit", get("/routes?limit=abc")));
        c.add(api("/routes?limit=-1", 400, "limit", get("/routes?limit=-1")));
        c.add(api("/routes?limit=1e3", 400, "limit", get("/routes?limit=1e3")));
        c.add(api("/routes?limit=2^32+1", 400, "limit", get("/routes?limit=4294967297")));
        c.add(api("/routes?limit= (empty)", 400, "limit", get("/routes?limit=")));
        c.add(api("/routes?cursor=garbage", 400, "cursor", get("/routes?cursor=garbage")));
        c.add(api("/routes?cursor=-1", 400, "cursor", get("/routes?cursor=-1")));
        c.add(api("/routes?cursor=%00", 400, "cursor", get("/routes?cursor=%00")));
        c.add(api("/routes?cursor=10k digits", 400, "cursor", get("/routes?cursor=" + "9".repeat(10_000))));
        c.add(api("/routes?cursor=2^64", 400, "cursor", get("/routes?cursor=18446744073709551616")));
        c.add(protocol("absolute-form target, other host", get("http://evil.example/route/1")));
        c.add(api("absolute-form target, same host", 404, "stream_id", get("http://127.0.0.1/route/1")));

        // Duplicate and conflicting headers.
        c.add(api("two Authorization, wrong then right", 400, "Authorization", request("GET", "/routes", null,
            "Authorization: Bearer wrong-key-0123456789", "Authorization: Bearer " + KEY)));
        c.add(api("two Authorization, right then wrong", 400, "Authorization", request("GET", "/routes", null,
            "Authorization: Bearer " + KEY, "Authorization: Bearer wrong-key-0123456789")));
        c.add(api("two Authorization, both right", 400, "Authorization", request("GET", "/routes", null,
            "Authorization: Bearer " + KEY, "Authorization: Bearer " + KEY)));
        c.add(api("two X-API-Key, wrong then right", 400, "X-API-Key", request("GET", "/routes", null,
            "X-API-Key: wrong-key-0123456789", "X-API-Key: " + KEY)));
        c.add(api("two X-API-Key, right then wrong", 400, "X-API-Key", request("GET", "/routes", null,
            "x-api-key: " + KEY, "X-Api-Key: wrong-key-0123456789")));
        c.add(api("Authorization right, X-API-Key wrong", 400, "X-API-Key", request("GET", "/routes", null,
            "Authorization: Bearer " + KEY, "X-API-Key: wrong-key-0123456789")));
        c.add(api("Authorization wrong, X-API-Key right", 400, "X-API-Key", request("GET", "/routes", null,
            "Authorization: Bearer wrong-key-0123456789", "X-API-Key: " + KEY)));
        c.add(api("two credentials on a POST", 400, "X-API-Key", request("POST", "/route", utf8(VALID),
            "Authorization: Bearer " + KEY, "X-API-Key: " + KEY, JSON)));
        c.add(protocol("two Content-Length, different", raw("POST /route HTTP/1.1", utf8(VALID + "   "),
            "Host: 127.0.0.1", AUTH, JSON, "Content-Length: " + VALID.length(),
            "Content-Length: " + (VALID.length() + 3))));
        c.add(protocol("two Content-Length, equal", raw("POST /route HTTP/1.1", utf8(VALID), "Host: 127.0.0.1", AUTH,
            JSON, "Content-Length: " + VALID.length(), "Content-Length: " + VALID.length())));
        c.add(protocol("Content-Length list", raw("POST /route HTTP/1.1", utf8(VALID), "Host: 127.0.0.1", AUTH,
            JSON, "Content-Length: " + VALID.length() + ", " + VALID.length())));
        c.add(protocol("Content-Length and chunked", raw("POST /route HTTP/1.1", utf8("5\r\n{\"a\":\r\n0\r\n\r\n"),
            "Host: 127.0.0.1", AUTH, JSON, "Content-Length: 3", "Transfer-Encoding: chunked")));
        c.add(protocol("Content-Length -1", raw("POST /route HTTP/1.1", utf8(VALID), "Host: 127.0.0.1", AUTH, JSON,
            "Content-Length: -1")));
        c.add(protocol("Content-Length abc", raw("POST /route HTTP/1.1", utf8(VALID), "Host: 127.0.0.1", AUTH, JSON,
            "Content-Length: abc")));
        c.add(protocol("Content-Length +3", raw("POST /route HTTP/1.1", utf8("{}"), "Host: 127.0.0.1", AUTH, JSON,
            "Content-Length: +2")));
        c.add(protocol("Content-Length 20 digits", raw("POST /route HTTP/1.1", utf8(VALID), "Host: 127.0.0.1",
            AUTH, JSON, "Content-Length: 99999999999999999999")));
        c.add(protocol("two Host", raw("GET /nowhere HTTP/1.1", null, "Host: a.example", "Host: b.example", AUTH,
            "Connection: close")));
        c.add(closed("chunked, garbage size", raw("POST /route HTTP/1.1", utf8("zz\r\n{}\r\n0\r\n\r\n"),
            "Host: 127.0.0.1", AUTH, JSON, "Transfer-Encoding: chunked", "Connection: close")));
        c.add(closed("chunked, size past 2^64", raw("POST /route HTTP/1.1",
            utf8("1FFFFFFFFFFFFFFFFFF\r\n{}\r\n0\r\n\r\n"), "Host: 127.0.0.1", AUTH, JSON, "Transfer-Encoding: chunked",
            "Connection: close")));
        c.add(api("chunked, over 64 KiB", 413, null, raw("POST /route HTTP/1.1",
            utf8("8000\r\n" + " ".repeat(0x8000) + "\r\n8000\r\n" + " ".repeat(0x8000) + "\r\n10\r\n" +
            " ".repeat(16) + "\r\n0\r\n\r\n"), "Host: 127.0.0.1", AUTH, JSON, "Transfer-Encoding: chunked",
            "Connection: close")));
        c.add(api("chunked, valid but not JSON", 400, null, raw("POST /route HTTP/1.1", utf8("3\r\nabc\r\n0\r\n\r\n"),
            "Host: 127.0.0.1", AUTH, JSON, "Transfer-Encoding: chunked", "Connection: close")));
        c.add(closed("chunked, cut short", raw("POST /route HTTP/1.1", utf8("10\r\n{\"a\""),
            "Host: 127.0.0.1", AUTH, JSON, "Transfer-Encoding: chunked", "Connection: close")).halfClose());
        c.add(api("Content-Length, cut short", 400, null, raw("POST /route HTTP/1.1", utf8("{\"stream_id\":4242"),
            "Host: 127.0.0.1", AUTH, JSON, "Content-Length: 1000", "Connection: close")).halfClose());
        c.add(api("Transfer-Encoding gzip", 400, "Transfer-Encoding", raw("POST /route HTTP/1.1", utf8(VALID),
            "Host: 127.0.0.1", AUTH, JSON, "Transfer-Encoding: gzip", "Connection: close")));
        c.add(api("Transfer-Encoding gzip, chunked", 400, "Transfer-Encoding", raw("POST /route HTTP/1.1",
            utf8("2\r\n{}\r\n0\r\n\r\n"), "Host: 127.0.0.1", AUTH, JSON, "Transfer-Encoding: gzip, chunked",
            "Connection: close")));
        c.add(api("Transfer-Encoding identity", 400, "Transfer-Encoding", raw("POST /route HTTP/1.1", utf8(VALID),
            "Host: 127.0.0.1", AUTH, JSON, "Transfer-Encoding: identity", "Connection: close")));
        c.add(protocol("Transfer-Encoding chunked twice", raw("POST /route HTTP/1.1", utf8("2\r\n{}\r\n0\r\n\r\n"),
            "Host: 127.0.0.1", AUTH, JSON, "Transfer-Encoding: chunked", "Transfer-Encoding: chunked",
            "Connection: close")));

        // Sizes.
        c.add(protocol("one 20 KiB header", request("GET", "/routes", null, AUTH, "X-Big: " + "a".repeat(20 * 1024))));
        c.add(protocol("path of 20 KiB", request("GET", "/route/" + "1".repeat(20 * 1024), null, AUTH)));
        c.add(protocol("300 headers", request("GET", "/routes", null, headers(300))));
        c.add(api("body of 70 KB", 413, null, post("/route", utf8("{\"stream_id\":4242," + SRC + "," + TGT +
            ",\"room_code\":\"" + "a".repeat(70_000) + "\"}"))));
        c.add(api("declared 10 MB, nothing sent", 413, null, raw("POST /route HTTP/1.1", null, "Host: 127.0.0.1", AUTH,
            JSON, "Content-Length: 10000000")));
        c.add(api("declared 10 MB on PUT, nothing sent", 413, null, raw("PUT /route/4242 HTTP/1.1", null,
            "Host: 127.0.0.1", AUTH, JSON, "Content-Length: 10000000")));

        // Methods.
        c.add(api("PATCH /route/1", 405, null, request("PATCH", "/route/1", utf8("{}"), AUTH, JSON)));
        c.add(api("DELETE /route", 405, null, request("DELETE", "/route", null, AUTH)));
        c.add(api("POST /routes", 405, null, request("POST", "/routes", utf8(VALID), AUTH, JSON)));
        c.add(api("GET /migrate", 405, null, request("GET", "/migrate", null, AUTH)));
        c.add(api("PUT /health", 405, null, request("PUT", "/health", utf8("{}"))));
        c.add(api("POST /metrics", 405, null, request("POST", "/metrics", utf8("{}"))));
        c.add(api("OPTIONS /route", 405, null, request("OPTIONS", "/route", null, AUTH)));
        c.add(api("TRACE /route/1", 405, null, request("TRACE", "/route/1", null, AUTH)));
        c.add(api("method FOO", 405, null, request("FOO", "/route/1", null, AUTH)));
        c.add(api("CONNECT", 405, null, request("CONNECT", "/route", null, AUTH)));

        // Empty bodies.
        c.add(api("POST, Content-Length 0", 400, null, post("/route", new byte[0])));
        c.add(api("POST, no body, no length", 400, null, request("POST", "/route", null, AUTH, JSON)));
        c.add(api("PUT, empty body, no such route", 404, "stream_id", put("/route/4242", new byte[0])));

        // Auth.
        c.add(api("no key", 401, null, request("GET", "/routes", null)));
        c.add(api("Basic with the key", 401, null, request("GET", "/routes", null, "Authorization: Basic " +
            Base64.getEncoder().encodeToString(("x:" + KEY).getBytes(StandardCharsets.UTF_8)))));
        c.add(api("key in the query", 401, null, request("GET", "/routes?api_key=" + KEY, null)));

        // Not HTTP at all, or barely.
        c.add(protocol("TLS ClientHello", concat(new byte[] { 0x16, 0x03, 0x01, 0x00, (byte)0xA5, 0x01, 0x00, 0x00,
            (byte)0xA1, 0x03, 0x03 }, new byte[160], utf8("\r\n\r\n"))));
        c.add(protocol("SSH banner", utf8("SSH-2.0-OpenSSH_9.6\r\n\r\n")));
        c.add(protocol("binary noise", concat(noise(512), utf8("\r\n\r\n"))));
        c.add(protocol("HTTP/2 preface", utf8("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")));
        c.add(protocol("blank lines only", utf8("\r\n\r\n\r\n\r\n")));
        c.add(protocol("no version", utf8("GET /health\r\n\r\n")));
        c.add(protocol("NUL in a header name", raw("GET /health HTTP/1.1", null, "Host: 127.0.0.1", "X-A\u0000b: 1")));
        c.add(protocol("header without a colon", raw("GET /health HTTP/1.1", null, "Host: 127.0.0.1", "NoColonHere")));
        c.add(protocol("space before the colon",
            raw("GET /health HTTP/1.1", null, "Host: 127.0.0.1", "X-Api-Key : x")));
        c.add(protocol("control character in a header value", raw("GET /routes HTTP/1.1", null, "Host: 127.0.0.1",
            AUTH + "\u000b")));
        c.add(protocol("CR alone in a header value", raw("GET /routes HTTP/1.1", null, "Host: 127.0.0.1",
            "X-A: 1\rX-API-Key: " + KEY)));
        c.add(api("obsolete line folding", 401, null, raw("GET /routes HTTP/1.1", null, "Host: 127.0.0.1",
            "X-API-Key: a", " " + KEY, "Connection: close")));
        c.add(protocol("bare LF line ends", utf8("GET /health HTTP/1.1\nHost: 127.0.0.1\n\n")));
        c.add(protocol("space in the target", raw("GET /route/1 2 HTTP/1.1", null, "Host: 127.0.0.1", AUTH)));
        c.add(protocol("backslash in the target", raw("GET /route\\1 HTTP/1.1", null, "Host: 127.0.0.1", AUTH)));
        c.add(protocol("raw UTF-8 in the target", concat(utf8("GET /route/"), new byte[] { (byte)0xC3, (byte)0xA9 },
            utf8(" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH + "\r\n\r\n"))));
        return c;
    }

    @Order(1)
    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void eachMalformedRequestIsRefusedWithoutAStackTrace(final Case c) throws Exception
    {
        final RawHttp.Reply reply = RawHttp.send(fixture.node.apiAddress(), c.request, c.halfClose);
        assertNoStackTrace(reply);
        assertTrue(reply.closed, c.name + ": the server closes the connection");
        switch (c.by)
        {
            case API:
                assertEquals(c.status, reply.status, c.name + ": " + reply.text());
                assertNotNull(reply.jsonError(), c.name + ": a JSON error: " + reply.text());
                if (c.field != null)
                {
                    assertEquals(c.field, reply.jsonField(), c.name + ": " + reply.text());
                }
                break;
            case PROTOCOL:
                assertTrue(reply.status >= 400 && reply.status <= 499, c.name + ": " + reply.text());
                assertEquals("", reply.body, c.name + ": " + reply.text());
                break;
            default:
                assertEquals(0, reply.raw.length, c.name + ": " + reply.text());
                break;
        }
    }

    @Order(2)
    @Test
    void theNodeIsHealthyAfterTheCorpus() throws Exception
    {
        assertEquals(200, fixture.call("GET", "/health", null).statusCode());
        assertEquals(404, fixture.authed("GET", "/route/4242", null).statusCode(),
            "nothing in the corpus created 4242");
        final HttpResponse<String> created = fixture.authed("POST", "/route", VALID);
        assertEquals(201, created.statusCode(), created.body());
        assertEquals(200, fixture.authed("GET", "/route/4242", null).statusCode());
        assertEquals(204, fixture.authed("DELETE", "/route/4242", null).statusCode());
        assertEquals(404, fixture.authed("GET", "/route/4242", null).statusCode());
    }

    /**
     * More slow clients than there are worker threads, each stopped half-way through its headers or its body: a
     * normal request is answered all the same, since bodies are read on the IO threads and only complete requests
     * reach a worker. Long timeouts, so that the slow clients are still there while the normal requests run.
     */
    @Order(3)
    @Test
    void slowClientsDoNotHoldTheWorkers() throws Exception
    {
        final int slow = ControlServer.WORKER_THREADS * 2 + 8;
        final List<Socket> sockets = new ArrayList<>();
        try (NodeFixture node = NodeFixture.start(Map.of(), new ControlServer.Timeouts(60_000, 60_000, 60_000, 60_000));
            AutoCloseable closeSlowClientsFirst = () -> closeAll(sockets))
        {
            final InetSocketAddress api = node.node.apiAddress();
            for (int i = 0; i < slow; i++)
            {
                sockets.add(open(api, slowBodyStart(1000, "{\"stream_id\":")));
                sockets.add(open(api, utf8("POST /route HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH + "\r\nContent-Le")));
                sockets.add(open(api, new byte[0]));
            }

            for (int round = 0; round < 10; round++)
            {
                assertEquals(200, node.call("GET", "/health", null).statusCode());
                assertEquals(201, node.authed("POST", "/route", VALID).statusCode());
                assertEquals(200, node.authed("GET", "/route/4242", null).statusCode());
                assertEquals(204, node.authed("DELETE", "/route/4242", null).statusCode());
            }
            for (final Socket socket : sockets)
            {
                assertEquals(0, socket.getInputStream().available(), "the slow clients are still unanswered");
            }
        }
    }

    /**
     * Slow clients of every kind, with timeouts of a second: the server closes each connection itself, answering 408
     * in JSON to those that sent their headers, while answering normal requests throughout.
     */
    @Order(4)
    @Test
    void theServerClosesSlowClientsItself() throws Exception
    {
        final List<Socket> trickling = new CopyOnWriteArrayList<>();
        final List<Socket> sentHeaders = new ArrayList<>();
        final List<Socket> all = new ArrayList<>();
        final ScheduledExecutorService trickler = Executors.newSingleThreadScheduledExecutor();
        try (NodeFixture node = NodeFixture.start(Map.of(), new ControlServer.Timeouts(1000, 1000, 1000, 1000));
            AutoCloseable closeSlowClientsFirst = () ->
            {
                trickler.shutdownNow();
                closeAll(all);
            })
        {
            final InetSocketAddress api = node.node.apiAddress();
            for (int i = 0; i < 10; i++)
            {
                final Socket headerTrickle = open(api, utf8("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
                final Socket bodyTrickle = open(api, slowBodyStart(60_000, ""));
                trickling.add(headerTrickle);
                trickling.add(bodyTrickle);
                sentHeaders.add(bodyTrickle);
                final Socket bodyStopped = open(api, slowBodyStart(1000, "{\"stream_id\":"));
                sentHeaders.add(bodyStopped);
                all.addAll(List.of(headerTrickle, bodyTrickle, bodyStopped,
                    open(api, utf8("GET /health HTTP/1.1\r\nHo")), open(api, new byte[0])));
            }
            // One byte every 100 ms: never idle for a second, never done either.
            trickler.scheduleAtFixedRate(() ->
            {
                for (final Socket socket : trickling)
                {
                    try
                    {
                        socket.getOutputStream().write(' ');
                    }
                    catch (final IOException ex)
                    {
                        trickling.remove(socket);
                    }
                }
            }, 0, 100, TimeUnit.MILLISECONDS);

            assertEquals(200, RawHttp.send(api, request("GET", "/health", null)).status);
            assertEquals(201, RawHttp.send(api, request("POST", "/route", utf8(VALID), AUTH, JSON)).status);
            assertEquals(200, RawHttp.send(api, request("GET", "/route/4242", null, AUTH)).status);
            assertEquals(204, RawHttp.send(api, request("DELETE", "/route/4242", null, AUTH)).status);

            for (final Socket socket : all)
            {
                socket.setSoTimeout(RawHttp.READ_TIMEOUT_MS);
                final RawHttp.Reply reply = RawHttp.readToEnd(socket);
                assertTrue(reply.closed, "the server closed a slow connection: " + reply.text());
                assertNoStackTrace(reply);
                if (sentHeaders.contains(socket))
                {
                    assertEquals(408, reply.status, reply.text());
                    assertNotNull(reply.jsonError(), reply.text());
                }
                else
                {
                    assertTrue(reply.raw.length == 0 || (reply.status >= 400 && reply.status <= 499), reply.text());
                }
            }
            assertEquals(200, RawHttp.send(api, request("GET", "/health", null)).status);
        }
    }

    private static byte[] slowBodyStart(final int contentLength, final String bodyStart)
    {
        return utf8("POST /route HTTP/1.1\r\nHost: 127.0.0.1\r\n" + AUTH + "\r\n" + JSON + "\r\nContent-Length: " +
            contentLength + "\r\n\r\n" + bodyStart);
    }

    private static void closeAll(final List<Socket> sockets) throws IOException
    {
        for (final Socket socket : sockets)
        {
            socket.close();
        }
    }

    private static Socket open(final InetSocketAddress to, final byte[] start) throws IOException
    {
        final Socket socket = new Socket();
        socket.connect(to, 5000);
        socket.getOutputStream().write(start);
        socket.getOutputStream().flush();
        return socket;
    }

    private static void assertNoStackTrace(final RawHttp.Reply reply)
    {
        final String all = new String(reply.raw, StandardCharsets.ISO_8859_1);
        for (final String sign : List.of("at io.", "\tat ", "Exception", "at java.", "at org."))
        {
            assertFalse(all.contains(sign), "no stack trace (" + sign + ") in " + reply.text());
        }
    }

    private static Case api(final String name, final int status, final String field, final byte[] request)
    {
        return new Case(name, By.API, status, field, request);
    }

    private static Case protocol(final String name, final byte[] request)
    {
        return new Case(name, By.PROTOCOL, 400, null, request);
    }

    private static Case closed(final String name, final byte[] request)
    {
        return new Case(name, By.CLOSE, 0, null, request);
    }

    private static byte[] post(final String path, final byte[] body, final String... headers)
    {
        return request("POST", path, body, with(headers));
    }

    private static byte[] put(final String path, final byte[] body, final String... headers)
    {
        return request("PUT", path, body, with(headers));
    }

    private static byte[] get(final String target)
    {
        return request("GET", target, null, AUTH);
    }

    /** The key, then JSON as Content-Type unless the case sets one. */
    private static String[] with(final String... headers)
    {
        final List<String> all = new ArrayList<>();
        all.add(AUTH);
        boolean typed = false;
        for (final String h : headers)
        {
            typed |= h.regionMatches(true, 0, "Content-Type:", 0, 13);
        }
        if (!typed)
        {
            all.add(JSON);
        }
        all.addAll(List.of(headers));
        return all.toArray(new String[0]);
    }

    /** A route request whose room_code holds these bytes as they are. */
    private static byte[] roomCodeOf(final byte... bytes)
    {
        return concat(utf8("{\"stream_id\":4242,\"room_code\":\""), bytes, utf8("\"," + SRC + "," + TGT + "}"));
    }

    private static byte[] route(final String streamId, final String more)
    {
        return utf8("{\"stream_id\":" + streamId + "," + SRC + "," + TGT + more + "}");
    }

    private static String[] headers(final int n)
    {
        final String[] h = new String[n + 1];
        h[0] = AUTH;
        for (int i = 1; i <= n; i++)
        {
            h[i] = "X-H" + i + ": " + i;
        }
        return h;
    }

    private static byte[] noise(final int n)
    {
        final byte[] b = new byte[n];
        long x = 0x9E3779B97F4A7C15L;
        for (int i = 0; i < n; i++)
        {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            b[i] = (byte)x;
        }
        return b;
    }
}
