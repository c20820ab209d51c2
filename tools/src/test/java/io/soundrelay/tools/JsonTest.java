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
package io.soundrelay.tools;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The tools' JSON on Jackson: strict reading (duplicate names, trailing text, malformed input refused), numbers as
 * the reports' readers expect them, u64 values exact both ways.
 */
final class JsonTest
{
    @Test
    void readsAnObjectInOrderWithNumbersAsDoubles()
    {
        final Map<String, Object> object =
            Json.object("{\"b\":1,\"a\":[true,null,\"x\\u0041\"],\"c\":{\"d\":2.5}}");

        assertEquals(List.of("b", "a", "c"), List.copyOf(object.keySet()));
        assertEquals(1.0, object.get("b"));
        assertEquals(Arrays.asList(true, null, "xA"), object.get("a"));
        assertEquals(Map.of("d", 2.5), object.get("c"));
    }

    @Test
    void keepsIntegersBeyondADoubleExact()
    {
        final Map<String, Object> object = Json.object("{\"id\":18446744073709551615,\"n\":9007199254740993}");

        assertEquals(new BigInteger("18446744073709551615"), object.get("id"));
        assertEquals(new BigInteger("9007199254740993"), object.get("n"));
        assertEquals(9007199254740992.0, Json.object("{\"n\":9007199254740992}").get("n"));
    }

    @Test
    void refusesWhatIsNotStrictJson()
    {
        for (final String bad : List.of("", "[]", "{\"a\":1,\"a\":2}", "{\"a\":1} x", "{\"a\":1}{}", "{a:1}",
            "{\"a\":01}", "{\"a\":'x'}", "{\"a\":1,}", "{\"a\":\"\\u00"))
        {
            assertThrows(IllegalArgumentException.class, () -> Json.object(bad), bad);
        }
    }

    @Test
    void writesU64AndRoundedNumbers()
    {
        final String json = Json.write((generator) ->
        {
            generator.writeStartObject();
            Json.writeUnsigned(generator, "stream_id", -1L);
            Json.writeRounded(generator, "rate", 33.33333);
            Json.writeRounded(generator, "none", Double.NaN);
            generator.writeStringField("text", "a\"b\\c");
            generator.writeEndObject();
        });

        assertEquals("{\"stream_id\":18446744073709551615,\"rate\":33.333,\"none\":null,\"text\":\"a\\\"b\\\\c\"}",
            json);
    }

    @Test
    void findsACountAtAnyDepth()
    {
        assertEquals(42, Json.findCount("{\"route\":{\"packets_in\":42}}", "packets_in"));
        assertEquals(-1, Json.findCount("{\"packets_in\":-3}", "packets_in"));
        assertEquals(-1, Json.findCount("{\"other\":1}", "packets_in"));
        assertEquals(7, Json.findCount("{\"relay_port\":7,", "relay_port"));
    }
}
