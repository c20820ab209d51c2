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
package io.soundrelay.core.json;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonWriterTest
{
    @Test
    void writesCommasAndColonsForTheCaller()
    {
        final String json = new JsonWriter()
            .beginObject()
            .name("stream_id").unsignedValue(-1L)
            .name("n").value(-5L)
            .name("ok").value(true)
            .name("none").nullValue()
            .name("absent").value((String)null)
            .name("ratio").rawNumber("0.25")
            .name("num").value(JsonNumber.of("1e3"))
            .name("targets").beginArray().value("a").value("b").beginArray().endArray().beginObject().endObject()
            .endArray()
            .name("empty").beginObject().endObject()
            .endObject()
            .toJson();

        assertEquals("{\"stream_id\":18446744073709551615,\"n\":-5,\"ok\":true,\"none\":null,\"absent\":null," +
            "\"ratio\":0.25,\"num\":1e3,\"targets\":[\"a\",\"b\",[],{}],\"empty\":{}}", json);
        final Map<?, ?> parsed = (Map<?, ?>)Json.parse(json);
        assertEquals(-1L, ((JsonNumber)parsed.get("stream_id")).unsignedLongValueExact());
    }

    @Test
    void escapesStringsSoThatTheyParseBack()
    {
        final String nasty = "q\"b\\s/\n\r\t\b\f\u0001\u001f\u2028\u2029 \u00e9 \uD83D\uDE00";
        final String json = new JsonWriter().beginArray().value(nasty).endArray().toJson();

        assertEquals("[\"q\\\"b\\\\s/\\n\\r\\t\\b\\f\\u0001\\u001f\\u2028\\u2029 \u00e9 \uD83D\uDE00\"]", json);
        assertEquals(List.of(nasty), Json.parse(json));
    }

    @Test
    void replacesUnpairedSurrogatesSoThatTheOutputIsValid()
    {
        assertEquals("\"a\\ufffdb\\ufffd\"", JsonWriter.quote("a\uD800b\uDC00"));
        assertEquals("a\uFFFDb\uFFFD", Json.parse(JsonWriter.quote("a\uD800b\uDC00")));
    }

    @Test
    void refusesMisuse()
    {
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginObject().value("no name"));
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginArray().name("x"));
        assertThrows(IllegalStateException.class, () -> new JsonWriter().name("x"));
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginObject().name("a").name("b"));
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginObject().name("a").endObject());
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginObject().endArray());
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginArray().endObject());
        assertThrows(IllegalStateException.class, () -> new JsonWriter().endObject());
        assertThrows(IllegalStateException.class, () -> new JsonWriter().value(1).value(2));
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginObject().toJson());
        assertThrows(IllegalStateException.class, () -> new JsonWriter().toJson());
        assertThrows(IllegalArgumentException.class, () -> new JsonWriter().rawNumber("NaN"));
        assertThrows(IllegalArgumentException.class, () -> new JsonWriter().rawNumber(" 1"));
        assertThrows(IllegalArgumentException.class, () -> new JsonWriter().rawNumber("01"));
        assertThrows(IllegalArgumentException.class, () -> new JsonWriter().rawNumber(null));
    }

    @Test
    void resetsForReuseLeavingEarlierTextAlone()
    {
        final StringBuilder sb = new StringBuilder("prefix:");
        final JsonWriter writer = new JsonWriter(sb);
        writer.beginArray().value(1).endArray();
        assertTrue(writer.isComplete());
        assertEquals("prefix:[1]", sb.toString());

        writer.reset();
        assertFalse(writer.isComplete());
        assertEquals("prefix:", sb.toString());
        assertEquals("{\"a\":\"b\"}", writer.beginObject().name("a").value("b").endObject().toJson());
    }

    @Test
    void nestsDeeperThanItsInitialStack()
    {
        final JsonWriter writer = new JsonWriter();
        for (int i = 0; i < 20; i++)
        {
            writer.beginArray();
        }
        for (int i = 0; i < 20; i++)
        {
            writer.endArray();
        }
        assertEquals("[".repeat(20) + "]".repeat(20), writer.toJson());
    }
}
