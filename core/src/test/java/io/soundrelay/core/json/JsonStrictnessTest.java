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

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The rules Jackson leaves to {@link Json} (or has limits for that it lifts), and the wording of faults Jackson
 * finds, as the hand-written parser before it had them.
 */
class JsonStrictnessTest
{
    private static final char HIGH = (char)0xD83D;
    private static final char LOW = (char)0xDE00;

    @Test
    void refusesASurrogatePairHalfEscapedHalfRaw()
    {
        final JsonException escapedHigh = assertThrows(JsonException.class, () -> Json.parse("\"\\ud83d" + LOW + "\""));
        assertEquals("unpaired surrogate \\uD83D in a string at offset 1", escapedHigh.getMessage());

        final JsonException rawHigh = assertThrows(JsonException.class, () -> Json.parse("[\"a" + HIGH + "\\ude00\"]"));
        assertEquals("unpaired surrogate U+D83D in a string at offset 3", rawHigh.getMessage());
    }

    @Test
    void refusesADuplicateKeyWrittenWithAnEscape()
    {
        final JsonException ex = assertThrows(JsonException.class, () -> Json.parse("{\"abc\":1,\"ab\\u0063\":2}"));

        assertEquals("duplicate key \"abc\" at offset 9", ex.getMessage());
    }

    @Test
    void leavesLongNumbersAndKeysToTheFieldChecks()
    {
        final String digits = "9".repeat(2000);
        assertEquals(digits, ((JsonNumber)Json.parse(digits)).text());

        final String key = "k".repeat(60_000);
        final Map<?, ?> object = assertInstanceOf(Map.class, Json.parse("{\"" + key + "\":1}"));
        assertTrue(object.containsKey(key));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "{\"a\":tru}         | unexpected 't', expected a JSON value at offset 5",
        "{\"a\":NaN}         | NaN is not a JSON value at offset 5",
        "[1,-Infinity]       | Infinity is not a JSON value at offset 4",
        "[1,2.5e]            | unexpected ']', expected a digit in the exponent at offset 7",
        "{\"x.y\":1.}        | unexpected '}', expected a digit after '.' at offset 9",
        "truex               | unexpected 'x' after the JSON value at offset 4",
        "[truex]             | unexpected 'x', expected ',' or ']' in an array at offset 5",
        "[}                  | unexpected '}', expected a JSON value at offset 1",
        "{\"a\"              | unexpected end of text, expected ':' after key \"a\" at offset 4",
        "{\"a\"/:1}          | unexpected '/', expected ':' after key \"a\" at offset 4",
        "{\"a\":1,\"b        | unterminated string at offset 7",
        "-.5                 | unexpected '.', expected a digit at offset 1",
    })
    void wordsFaultsAsBefore(final String text, final String message)
    {
        assertEquals(message, assertThrows(JsonException.class, () -> Json.parse(text)).getMessage());
    }
}
