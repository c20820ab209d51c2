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
package io.soundrelay.core.route;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouteRequestParserTest
{
    private static final int MAX_TARGETS = 3;
    private static final int DEFAULT_JITTER_MS = 40;

    private final RouteRequestParser parser = new RouteRequestParser(MAX_TARGETS, DEFAULT_JITTER_MS);

    /**
     * A valid POST body with some members replaced (raw JSON) or removed (null).
     */
    private static String body(final String... overrides)
    {
        final Map<String, String> members = new LinkedHashMap<>();
        members.put("stream_id", "42");
        members.put("source_addr", "\"10.0.0.1:5000\"");
        members.put("target_addrs", "[\"10.0.0.2:6000\"]");
        for (int i = 0; i < overrides.length; i += 2)
        {
            members.put(overrides[i], overrides[i + 1]);
        }
        final StringBuilder sb = new StringBuilder("{");
        members.forEach((name, value) ->
        {
            if (value != null)
            {
                sb.append(sb.length() > 1 ? "," : "").append('"').append(name).append("\":").append(value);
            }
        });
        return sb.append('}').toString();
    }

    private ValidationException invalid(final String body, final Long pathStreamId, final String field)
    {
        final ValidationException ex =
            assertThrows(ValidationException.class, () -> parser.parse(body, pathStreamId));
        assertEquals(field, ex.field(), ex.getMessage());
        assertEquals(400, ex.status());
        assertFalse(ex.getMessage().isBlank());
        return ex;
    }

    private static void assertMessageContains(final ValidationException ex, final String fragment)
    {
        assertTrue(ex.getMessage().contains(fragment), ex.getMessage());
    }

    @Test
    void parsesEveryField()
    {
        final RouteSpec spec = parser.parse(
            "{\"stream_id\":\"18446744073709551615\",\"source_addr\":\"10.0.0.1:5000\"," +
            "\"target_addrs\":[\"10.0.0.2:6000\",\"[2001:db8::1]:6001\",\"10.0.0.2:6001\"]," +
            "\"room_code\":\"Room_1-a\",\"deliver\":\"framed\",\"jitter_ms\":1000,\"mix_minus\":true}", null);

        assertEquals(-1L, spec.streamId());
        assertEquals(Endpoint.parse("10.0.0.1:5000"), spec.source());
        assertEquals(List.of(Endpoint.parse("10.0.0.2:6000"), Endpoint.parse("[2001:db8::1]:6001"),
            Endpoint.parse("10.0.0.2:6001")), spec.targets());
        assertEquals("Room_1-a", spec.roomCode());
        assertEquals(Deliver.FRAMED, spec.deliver());
        assertEquals(1000, spec.jitterMs());
        assertTrue(spec.mixMinus());
    }

    @Test
    void latchIsFirstOrDiscoveryAndDiscoveryNeedsAPortZeroSource()
    {
        assertEquals(Latch.FIRST, parser.parse(body(), null).latch(), "the default");
        assertEquals(Latch.FIRST, parser.parse(body("latch", "\"first\""), null).latch());
        assertEquals(Latch.DISCOVERY, parser.parse(
            body("source_addr", "\"10.0.0.1:0\"", "latch", "\"discovery\""), null).latch());
        assertMessageContains(invalid(body("latch", "\"discovery\""), null, "latch"),
            "needs a source_addr with port 0");
        assertMessageContains(invalid(body("latch", "\"last\""), null, "latch"),
            "is not \"first\" or \"discovery\"");
        assertMessageContains(invalid(body("latch", "true"), null, "latch"), "must be the string");
        invalid(body("latch", "null"), null, "latch");
    }

    @Test
    void sourceLatchedNullClearsTheLatchOfAPortZeroSourceAndNothingElse()
    {
        final String portZero = "\"10.0.0.1:0\"";
        final RouteRequestParser.Update cleared = parser.parseUpdate(
            body("source_addr", portZero, "source_latched", "null").getBytes(StandardCharsets.UTF_8), 42);
        assertTrue(cleared.clearsLatch());
        assertEquals(0, cleared.spec().source().port());
        assertFalse(parser.parseUpdate(body("source_addr", portZero).getBytes(StandardCharsets.UTF_8), 42)
            .clearsLatch(), "without the field a PUT keeps the latch");
        assertMessageContains(invalid(body("source_latched", "null"), 42L, "source_latched"), "has a port");
        assertMessageContains(invalid(body("source_addr", portZero, "source_latched", "\"10.0.0.1:5000\""), 42L,
            "source_latched"), "can only be null");
    }

    @Test
    void appliesDefaults()
    {
        final RouteSpec spec = parser.parse(body(), null);

        assertEquals(42, spec.streamId());
        assertNull(spec.roomCode());
        assertEquals(Deliver.PAYLOAD, spec.deliver());
        assertEquals(DEFAULT_JITTER_MS, spec.jitterMs());
        assertFalse(spec.mixMinus());
        assertNull(parser.parse(body("room_code", "null"), null).roomCode());
        assertEquals(0, parser.parse(body("jitter_ms", "0"), null).jitterMs());
    }

    @Test
    void acceptsStreamIdAsNumberOrDecimalString()
    {
        assertEquals(-1L, parser.parse(body("stream_id", "18446744073709551615"), null).streamId());
        assertEquals(1L, parser.parse(body("stream_id", "1"), null).streamId());
        assertEquals(7L, parser.parse(body("stream_id", "\"7\""), null).streamId());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "0                         | outside 1-18446744073709551615",
        "\"0\"                     | outside",
        "18446744073709551616      | outside",
        "\"18446744073709551616\"  | outside",
        "-1                        | outside",
        "1.5                       | not an integer",
        "1e3                       | not an integer",
        "\"-1\"                    | decimal string",
        "\" 1\"                    | decimal string",
        "\"0x10\"                  | decimal string",
        "\"\"                      | decimal string",
        "true                      | must be a number or a decimal string, not a boolean",
        "null                      | not null",
        "[1]                       | not an array",
    })
    void refusesBadStreamId(final String value, final String fragment)
    {
        assertMessageContains(invalid(body("stream_id", value), null, "stream_id"), fragment);
    }

    @Test
    void requiresStreamIdOnPost()
    {
        assertMessageContains(invalid(body("stream_id", null), null, "stream_id"), "required");
    }

    @Test
    void takesStreamIdFromThePathOnPut()
    {
        assertEquals(99L, parser.parse(body("stream_id", null), 99L).streamId());
        assertEquals(99L, parser.parse(body("stream_id", "99"), 99L).streamId());
        assertEquals(-1L, parser.parse(body("stream_id", "\"18446744073709551615\""), -1L).streamId());

        final ValidationException ex = invalid(body("stream_id", "98"), 99L, "stream_id");
        assertMessageContains(ex, "98");
        assertMessageContains(ex, "99");
    }

    @Test
    void refusesABodyThatIsNotAJsonObject()
    {
        assertMessageContains(invalid("", null, null), "empty");
        assertMessageContains(invalid("  ", null, null), "empty");
        assertMessageContains(invalid(null, null, null), "empty");
        assertMessageContains(invalid("stream_id=1", null, null), "not JSON");
        assertMessageContains(invalid(body() + " x", null, null), "not JSON");
        assertMessageContains(invalid("{\"stream_id\":1,\"stream_id\":2}", null, null), "duplicate key");
        assertMessageContains(invalid("[" + body() + "]", null, null), "not a JSON object but an array");
        assertMessageContains(invalid("\"x\"", null, null), "not a JSON object but a string");
    }

    @Test
    void refusesBodiesOverSixtyFourKibWith413()
    {
        final String padding = " ".repeat(RouteRequestParser.MAX_BODY_BYTES);
        final ValidationException ex =
            assertThrows(ValidationException.class, () -> parser.parse(body() + padding, null));
        assertEquals(413, ex.status());
        assertNull(ex.field());

        final byte[] bytes = (body() + padding).getBytes(StandardCharsets.UTF_8);
        assertEquals(413, assertThrows(ValidationException.class, () -> parser.parse(bytes, null)).status());

        // 64 KiB counted in UTF-8 bytes, not characters: 22 000 three-byte characters are 66 000 bytes.
        final String wide = body("room_code", "\"" + "\u20ac".repeat(22_000) + "\"");
        assertEquals(413, assertThrows(ValidationException.class, () -> parser.parse(wide, null)).status());
    }

    @Test
    void parsesBytesAsStrictUtf8()
    {
        assertEquals(42L, parser.parse(body().getBytes(StandardCharsets.UTF_8), null).streamId());

        final byte[] bad = body("room_code", "\"r\u00e9\"").getBytes(StandardCharsets.ISO_8859_1);
        final ValidationException ex = assertThrows(ValidationException.class, () -> parser.parse(bad, null));
        assertEquals(400, ex.status());
        assertNull(ex.field());
        assertMessageContains(ex, "UTF-8");
    }

    @Test
    void refusesUnknownFieldsNamingThem()
    {
        assertMessageContains(invalid(body("node_id", "\"x\""), null, "node_id"), "unknown field \"node_id\"");
        invalid(body("Stream_Id", "1"), null, "Stream_Id");
    }

    @Test
    void checksSourceAddr()
    {
        assertMessageContains(invalid(body("source_addr", null), null, "source_addr"), "required");
        assertMessageContains(invalid(body("source_addr", "5000"), null, "source_addr"), "not a number");
        assertMessageContains(invalid(body("source_addr", "null"), null, "source_addr"), "not null");
        assertMessageContains(
            invalid(body("source_addr", "\"host.example:5000\""), null, "source_addr"), "not an IPv4 address");
        assertMessageContains(invalid(body("source_addr", "\"10.0.0.1:65536\""), null, "source_addr"), "0-65535");
        assertMessageContains(invalid(body("source_addr", "\"[::1]\""), null, "source_addr"), "[v6]:port");
    }

    @Test
    void aSourceWithPortZeroPinsTheIpAndLatchesThePort()
    {
        final RouteSpec latching = parser.parse(body("source_addr", "\"203.0.113.7:0\""), null);
        assertTrue(latching.latchesSourcePort());
        assertEquals("203.0.113.7:0", latching.source().toString());
        assertFalse(parser.parse(body(), null).latchesSourcePort());
        // Only a source latches: a target needs its port.
        assertMessageContains(
            invalid(body("target_addrs", "[\"10.0.0.2:0\"]"), null, "target_addrs[0]"), "outside 1-65535");
    }

    @Test
    void returnPathIsABooleanFalseByDefault()
    {
        assertFalse(parser.parse(body(), null).returnPath());
        assertTrue(parser.parse(body("return_path", "true"), null).returnPath());
        assertFalse(parser.parse(body("return_path", "false"), null).returnPath());
        assertMessageContains(invalid(body("return_path", "1"), null, "return_path"), "true or false");
        assertMessageContains(invalid(body("return_path", "\"yes\""), null, "return_path"), "true or false");
    }

    @Test
    void checksTargetAddrs()
    {
        assertMessageContains(invalid(body("target_addrs", null), null, "target_addrs"), "required");
        assertMessageContains(
            invalid(body("target_addrs", "\"10.0.0.2:6000\""), null, "target_addrs"), "array of \"ip:port\" strings");
        assertMessageContains(invalid(body("target_addrs", "[]"), null, "target_addrs"), "at least one");
        assertMessageContains(
            invalid(body("target_addrs", "[\"1.1.1.1:1\",\"1.1.1.1:2\",\"1.1.1.1:3\",\"1.1.1.1:4\"]"), null,
                "target_addrs"), "at most 3");
        assertMessageContains(
            invalid(body("target_addrs", "[\"1.1.1.1:1\",6000]"), null, "target_addrs[1]"), "not a number");
        assertMessageContains(
            invalid(body("target_addrs", "[\"1.1.1.1:1\",\"1.1.1.1:2\",\"1.1.1.256:3\"]"), null, "target_addrs[2]"),
            "not an IPv4 address");
        assertMessageContains(
            invalid(body("target_addrs", "[\"1.1.1.1:1\",\"1.1.1.1:2\",\"1.1.1.1:1\"]"), null, "target_addrs[2]"),
            "repeats target_addrs[0]");
        assertMessageContains(
            invalid(body("target_addrs", "[\"[::1]:5\",\"[0:0::1]:5\"]"), null, "target_addrs[1]"),
            "repeats target_addrs[0]");
        assertEquals(3, parser.parse(
            body("target_addrs", "[\"1.1.1.1:1\",\"1.1.1.1:2\",\"1.1.1.1:3\"]"), null).targetCount());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "\"\"              | 0 characters",
        "\"a b\"           | may only hold",
        "\"caf\u00e9\"     | may only hold",
        "\"a/b\"           | may only hold",
        "5                 | must be a string, not a number",
        "{}                | must be a string, not an object",
    })
    void checksRoomCode(final String value, final String fragment)
    {
        assertMessageContains(invalid(body("room_code", value), null, "room_code"), fragment);
    }

    @Test
    void roomCodeLengthLimits()
    {
        final String longest = "a".repeat(64);
        assertEquals(longest, parser.parse(body("room_code", "\"" + longest + "\""), null).roomCode());
        assertMessageContains(invalid(body("room_code", "\"" + longest + "b\""), null, "room_code"), "65 characters");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "\"FRAMED\"   | is not \"payload\" or \"framed\"",
        "\"\"         | is not \"payload\" or \"framed\"",
        "1            | not a number",
        "null         | not null",
    })
    void checksDeliver(final String value, final String fragment)
    {
        assertMessageContains(invalid(body("deliver", value), null, "deliver"), fragment);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "-1                     | outside 0-1000",
        "1001                   | outside 0-1000",
        "99999999999999999999   | outside 0-1000",
        "1.5                    | not an integer",
        "1e2                    | not an integer",
        "\"5\"                  | must be an integer number, not a string",
        "null                   | not null",
    })
    void checksJitterMs(final String value, final String fragment)
    {
        assertMessageContains(invalid(body("jitter_ms", value), null, "jitter_ms"), fragment);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "-1                     | outside 0-2000",
        "2001                   | outside 0-2000",
        "99999999999999999999   | outside 0-2000",
        "20.5                   | not an integer",
        "\"500\"                | must be an integer number, not a string",
        "true                   | must be an integer number, not a boolean",
        "null                   | not null",
    })
    void checksPaceMs(final String value, final String fragment)
    {
        assertMessageContains(invalid(body("pace_ms", value), null, "pace_ms"), fragment);
    }

    @Test
    void paceMsDefaultsToPaceMsSettingAndTakesAnyValueInRange()
    {
        assertEquals(0, parser.parse(body(), null).paceMs());
        final RouteRequestParser paced = new RouteRequestParser(16, 0, 400, AddressPolicy.defaults());
        assertEquals(400, paced.parse(body(), null).paceMs());
        assertEquals(0, paced.parse(body("pace_ms", "0"), null).paceMs(), "a route may turn the default off");
        assertEquals(2000, paced.parse(body("pace_ms", "2000"), null).paceMs());
        assertEquals(1, paced.parse(body("pace_ms", "1"), null).paceMs());
        assertThrows(IllegalArgumentException.class, () -> new RouteRequestParser(16, 0, 2001, AddressPolicy.defaults()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "\"true\"   | must be true or false, not a string",
        "1          | not a number",
        "null       | not null",
    })
    void checksMixMinus(final String value, final String fragment)
    {
        assertMessageContains(invalid(body("mix_minus", value), null, "mix_minus"), fragment);
    }

    @Test
    void refusesBadConstructorArguments()
    {
        assertThrows(IllegalArgumentException.class, () -> new RouteRequestParser(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new RouteRequestParser(16, -1));
        assertThrows(IllegalArgumentException.class, () -> new RouteRequestParser(16, 1001));
    }
}
