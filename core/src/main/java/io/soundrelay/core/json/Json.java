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

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Strict JSON (RFC 8259) for the control API and Redis values, read with Jackson's streaming parser into plain
 * collections: no data binding, no reflection.
 * <p>
 * Values come back as {@link LinkedHashMap}{@code <String, Object>} (keys in document order),
 * {@link ArrayList}{@code <Object>}, {@link String}, {@link JsonNumber} (the literal text, never rounded),
 * {@link Boolean} or {@link #NULL}, so that {@code "x": null} is distinguishable from an absent key.
 * <p>
 * Refused, each with a {@link JsonException} naming the character offset: trailing text after the value,
 * duplicate keys, nesting deeper than {@link #MAX_DEPTH}, numbers with leading zeros, {@code NaN} and
 * {@code Infinity}, control characters in strings, unknown escapes and unpaired surrogates. Jackson finds the
 * faults of syntax; {@link JsonErrors} words them as this API always has.
 */
public final class Json
{
    /** Deepest nesting of objects and arrays accepted: a request never needs more, a stack never overflows. */
    public static final int MAX_DEPTH = 32;

    /** The JSON {@code null} value, distinct from a Java {@code null} that means "absent". */
    public static final Object NULL = new Null();

    /**
     * Jackson's own defaults refuse every extension (comments, single quotes, leading zeros, NaN, trailing commas);
     * its length limits are lifted because the callers bound the whole text (a request body, a Redis value) and
     * a long number or key is refused by the field's own check, naming the field.
     */
    private static final JsonFactory FACTORY = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(MAX_DEPTH + 1)
            .maxNumberLength(Integer.MAX_VALUE)
            .maxNameLength(Integer.MAX_VALUE)
            .maxStringLength(Integer.MAX_VALUE)
            .build())
        .build();

    private Json()
    {
    }

    /**
     * Parse one JSON text.
     *
     * @param text the whole text: one value, optionally surrounded by whitespace.
     * @return the value: a map, list, string, {@link JsonNumber}, boolean or {@link #NULL}.
     * @throws JsonException saying what is wrong and at which character offset.
     */
    public static Object parse(final String text)
    {
        if (text == null)
        {
            throw new JsonException("no JSON text", 0);
        }
        try (JsonParser parser = FACTORY.createParser(text))
        {
            return new Reader(parser, text).parse();
        }
        catch (final IOException ex)
        {
            throw new JsonException("unreadable text: " + ex.getMessage(), 0);
        }
    }

    /**
     * @param value a parsed value, or null for absent.
     * @return a word for a person: object, array, string, number, boolean, null or absent.
     */
    public static String typeName(final Object value)
    {
        if (value == null)
        {
            return "absent";
        }
        if (value == NULL)
        {
            return "null";
        }
        if (value instanceof String)
        {
            return "string";
        }
        if (value instanceof JsonNumber)
        {
            return "number";
        }
        if (value instanceof Boolean)
        {
            return "boolean";
        }
        if (value instanceof List)
        {
            return "array";
        }
        if (value instanceof Map)
        {
            return "object";
        }
        return value.getClass().getSimpleName();
    }

    /**
     * One parse: the parser, its text, and where the last whole token ended (where the next one starts, once
     * whitespace and a separator are skipped), which is where an error in that next token is counted from.
     */
    private static final class Reader
    {
        private final JsonParser parser;
        private final String text;
        private int lastEnd;

        Reader(final JsonParser parser, final String text)
        {
            this.parser = parser;
            this.text = text;
        }

        Object parse() throws IOException
        {
            try
            {
                final JsonToken first = parser.nextToken();
                if (first == null)
                {
                    throw new JsonException("empty text, expected a JSON value", 0);
                }
                final Object value = readValue(first, 0);
                final int end = JsonErrors.skipWhitespace(text, (int)parser.currentLocation().getCharOffset());
                if (end != text.length())
                {
                    throw JsonErrors.trailing(text, end);
                }
                return value;
            }
            catch (final JsonProcessingException ex)
            {
                throw JsonErrors.translate(text, ex, parser, lastEnd);
            }
        }

        private JsonToken next() throws IOException
        {
            lastEnd = (int)parser.currentLocation().getCharOffset();
            return parser.nextToken();
        }

        private Object readValue(final JsonToken token, final int depth) throws IOException
        {
            switch (token)
            {
                case START_OBJECT:
                    return readObject(depth + 1);
                case START_ARRAY:
                    return readArray(depth + 1);
                case VALUE_STRING:
                    return JsonErrors.checkSurrogates(text, tokenOffset(), parser.getText());
                case VALUE_NUMBER_INT:
                    return new JsonNumber(parser.getText(), true);
                case VALUE_NUMBER_FLOAT:
                    return new JsonNumber(parser.getText(), false);
                case VALUE_TRUE:
                    return Boolean.TRUE;
                case VALUE_FALSE:
                    return Boolean.FALSE;
                case VALUE_NULL:
                    return NULL;
                default:
                    throw new JsonException("unexpected " + token, tokenOffset());
            }
        }

        private LinkedHashMap<String, Object> readObject(final int depth) throws IOException
        {
            checkDepth(depth);
            final LinkedHashMap<String, Object> object = new LinkedHashMap<>();
            while (next() == JsonToken.FIELD_NAME)
            {
                final int keyOffset = tokenOffset();
                final String key = JsonErrors.checkSurrogates(text, keyOffset, parser.currentName());
                if (object.containsKey(key))
                {
                    throw new JsonException("duplicate key " + JsonErrors.echo(key), keyOffset);
                }
                object.put(key, readValue(next(), depth));
            }
            return object;
        }

        private ArrayList<Object> readArray(final int depth) throws IOException
        {
            checkDepth(depth);
            final ArrayList<Object> array = new ArrayList<>();
            JsonToken token;
            while ((token = next()) != JsonToken.END_ARRAY)
            {
                array.add(readValue(token, depth));
            }
            return array;
        }

        private void checkDepth(final int depth)
        {
            if (depth > MAX_DEPTH)
            {
                throw new JsonException("nesting deeper than " + MAX_DEPTH + " levels", tokenOffset());
            }
        }

        private int tokenOffset()
        {
            return (int)parser.currentTokenLocation().getCharOffset();
        }
    }

    private static final class Null
    {
        @Override
        public String toString()
        {
            return "null";
        }
    }
}
