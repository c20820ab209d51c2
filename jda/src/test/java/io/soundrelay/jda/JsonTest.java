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
package io.soundrelay.jda;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reader stays strict RFC 8259 on Jackson, and u64 stream ids stay exact both ways.
 */
final class JsonTest
{
    @Test
    void largeIntegersStayExactText()
    {
        final Map<String, Object> map = Json.object(
            "{\"max\":18446744073709551615,\"min\":-9223372036854775808,\"small\":123456789012345,\"f\":1.5}");
        assertEquals("18446744073709551615", map.get("max"));
        assertEquals("-9223372036854775808", map.get("min"));
        assertEquals(123456789012345.0, map.get("small"));
        assertEquals(1.5, map.get("f"));
        assertTrue(Json.routeRequest(-1L, "127.0.0.1:1", List.of("127.0.0.1:2"))
            .startsWith("{\"stream_id\":18446744073709551615,"));
    }

    @Test
    void refusesWhatIsNotStrictJson()
    {
        for (final String text : List.of("", " ", "01", "[1,]", "{\"a\":1,}", "{'a':1}", "{a:1}", "/*c*/{}", "NaN",
            "[1] [2]", "1 2", "\"a\u0001\"", "{\"a\"}", "[", "{\"a\":1", "tru", "\"\\x\"", "{\"a\":1,\"a\":1}"))
        {
            final IllegalArgumentException ex =
                assertThrows(IllegalArgumentException.class, () -> Json.parse(text), text);
            assertTrue(ex.getMessage().startsWith("not JSON: "), ex.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Json.object("[1]"));
    }

    @Test
    void readsNestedValuesInOrder()
    {
        final Map<String, Object> map = Json.object(" {\"b\":[{\"c\":null},[]],\"a\":{},\"s\":\"\\/\\\"\"} \r\n");
        assertEquals(List.of("b", "a", "s"), List.copyOf(map.keySet()));
        assertEquals(List.of(java.util.Collections.singletonMap("c", null), List.of()), map.get("b"));
        assertEquals(Map.of(), map.get("a"));
        assertEquals("/\"", map.get("s"));
    }
}
