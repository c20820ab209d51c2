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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest
{
    @Test
    void parsesEveryKindOfValueKeepingKeyOrder()
    {
        final Object value = Json.parse(" {\"s\":\"x\", \"n\":-12.5e+3, \"t\":true, \"f\":false, \"z\":null, " +
            "\"a\":[1,[],{}], \"o\":{\"k\":\"v\"}}\n");

        final Map<?, ?> object = assertInstanceOf(Map.class, value);
        assertEquals(List.of("s", "n", "t", "f", "z", "a", "o"), List.copyOf(object.keySet()));
        assertEquals("x", object.get("s"));
        assertEquals("-12.5e+3", ((JsonNumber)object.get("n")).text());
        assertEquals(Boolean.TRUE, object.get("t"));
        assertEquals(Boolean.FALSE, object.get("f"));
        assertSame(Json.NULL, object.get("z"));
        assertNull(object.get("absent"));
        assertEquals(List.of(JsonNumber.of(1), List.of(), Map.of()), object.get("a"));
        assertEquals(Map.of("k", "v"), object.get("o"));
        assertEquals("null", Json.typeName(Json.NULL));
        assertEquals("absent", Json.typeName(null));
    }

    @Test
    void keepsUnsignedLongMaxExactly()
    {
        final JsonNumber number = (JsonNumber)Json.parse("18446744073709551615");

        assertTrue(number.isIntegral());
        assertFalse(number.isNegative());
        assertEquals(new BigInteger("18446744073709551615"), number.bigIntegerValue());
        assertEquals(-1L, number.unsignedLongValueExact());
        assertThrows(ArithmeticException.class, number::longValueExact);
        assertThrows(ArithmeticException.class, () -> JsonNumber.of("18446744073709551616").unsignedLongValueExact());
        assertThrows(ArithmeticException.class, () -> JsonNumber.of("-1").unsignedLongValueExact());
    }

    @Test
    void numberAccessors()
    {
        assertEquals(Long.MIN_VALUE, JsonNumber.of("-9223372036854775808").longValueExact());
        assertEquals(42, JsonNumber.of("42").intValueExact());
        assertThrows(ArithmeticException.class, () -> JsonNumber.of("2147483648").intValueExact());
        assertFalse(JsonNumber.of("1.0").isIntegral());
        assertFalse(JsonNumber.of("1e2").isIntegral());
        assertThrows(ArithmeticException.class, () -> JsonNumber.of("1.5").bigIntegerValue());
        assertThrows(ArithmeticException.class, () -> JsonNumber.of("1e2").longValueExact());
        assertEquals(0.25, JsonNumber.of("25E-2").doubleValue());
        assertTrue(JsonNumber.of("-0").isNegative());
        assertEquals("0.10", JsonNumber.of("0.10").bigDecimalValue().toPlainString());
        assertThrows(JsonException.class, () -> JsonNumber.of("\"1\""));
    }

    @Test
    void decodesEscapesAndSurrogatePairs()
    {
        assertEquals("\"\\/\b\f\n\r\t\u00e9\uD83D\uDE00",
            Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00E9\\ud83d\\ude00\""));
        assertEquals("\uD83D\uDE00 ok", Json.parse("\"\uD83D\uDE00 ok\""));
        assertEquals("", Json.parse("\"\""));
    }

    @Test
    void acceptsNestingOfThirtyTwoAndRefusesThirtyThree()
    {
        final String ok = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        assertInstanceOf(List.class, Json.parse(ok));

        final String tooDeep = "{\"a\":".repeat(Json.MAX_DEPTH) + "[]" + "}".repeat(Json.MAX_DEPTH);
        final JsonException ex = assertThrows(JsonException.class, () -> Json.parse(tooDeep));
        assertTrue(ex.getMessage().contains("nesting deeper than 32"), ex.getMessage());
        assertEquals(5 * Json.MAX_DEPTH, ex.offset());
    }

    @Test
    void refusesDuplicateKeysNamingTheKeyAndItsOffset()
    {
        final JsonException ex = assertThrows(JsonException.class, () -> Json.parse("{\"a\":1,\"a\":2}"));

        assertEquals(7, ex.offset());
        assertEquals("duplicate key \"a\" at offset 7", ex.getMessage());
    }

    @Test
    void refusesTrailingGarbageWithItsOffset()
    {
        final JsonException ex = assertThrows(JsonException.class, () -> Json.parse("{} x"));

        assertEquals(3, ex.offset());
        assertTrue(ex.getMessage().contains("after the JSON value"), ex.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "``                  | 0 | empty",
        "`   `               | 0 | empty",
        "1 2                 | 2 | after the JSON value",
        "01                  | 0 | leading zero",
        "-01                 | 0 | leading zero",
        "[00]                | 1 | leading zero",
        "NaN                 | 0 | NaN",
        "Infinity            | 0 | Infinity",
        "-Infinity           | 1 | Infinity",
        "[1,]                | 3 | expected a JSON value",
        "{\"a\":1,}          | 7 | expected a \"key\"",
        "{'a':1}             | 1 | expected a \"key\"",
        "{\"a\" 1}           | 5 | expected ':'",
        "[1 2]               | 3 | expected ',' or ']'",
        "{\"a\":1 \"b\":2}   | 7 | expected ',' or '}'",
        "\"abc               | 0 | unterminated string",
        "\"a\\x\"            | 2 | invalid escape",
        "\"a\\u12\"          | 2 | four hex digits",
        "\"\\ud800\"         | 1 | unpaired surrogate",
        "\"\\udc00\"         | 1 | unpaired surrogate",
        "\"\\ud800\\u0041\"  | 1 | unpaired surrogate",
        "1.                  | 2 | digit after '.'",
        ".5                  | 0 | expected a JSON value",
        "1e                  | 2 | exponent",
        "+1                  | 0 | expected a JSON value",
        "tru                 | 0 | expected a JSON value",
        "nul                 | 0 | expected a JSON value",
        "[1                  | 2 | expected ',' or ']'",
        "// c                | 0 | expected a JSON value",
    })
    void refusesInvalidText(final String text, final int offset, final String reason)
    {
        final JsonException ex = assertThrows(JsonException.class, () -> Json.parse(text));

        assertTrue(ex.getMessage().contains(reason), ex.getMessage());
        assertEquals(offset, ex.offset(), ex.getMessage());
        assertTrue(ex.getMessage().endsWith("at offset " + offset), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = { "\"a\u0001b\"", "\"line\nbreak\"", "\"tab\there\"", "\"nul\u0000\"" })
    void refusesControlCharactersInStrings(final String text)
    {
        final JsonException ex = assertThrows(JsonException.class, () -> Json.parse(text));

        assertTrue(ex.getMessage().contains("control character"), ex.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = { "\"\uD800\"", "\"\uDC00x\"", "\"\uD800x\"" })
    void refusesUnpairedRawSurrogates(final String text)
    {
        final JsonException ex = assertThrows(JsonException.class, () -> Json.parse(text));

        assertTrue(ex.getMessage().contains("unpaired surrogate"), ex.getMessage());
        assertEquals(1, ex.offset());
    }

    @Test
    void refusesNullText()
    {
        assertThrows(JsonException.class, () -> Json.parse(null));
    }
}
