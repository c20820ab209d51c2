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

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tools' JSON, on Jackson's streaming core: {@link #write(Body)} for the reports and route requests the tools
 * write, {@link #object(String)} for the nodes' answers the tools read (and the tests read the reports with).
 * Reading is strict (RFC 8259, no extensions): a duplicate name, trailing text or anything malformed is refused
 * with {@link IllegalArgumentException}.
 */
final class Json
{
    /** Integers of more bits than a double's mantissa holds come back exact, as {@link BigInteger}. */
    private static final long MAX_EXACT_DOUBLE = 1L << 53;

    private static final JsonFactory FACTORY = JsonFactory.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();

    private Json()
    {
    }

    /**
     * What writes one JSON value to a generator.
     */
    @FunctionalInterface
    interface Body
    {
        /**
         * @param json the generator to write the value to.
         * @throws IOException from the generator.
         */
        void writeTo(JsonGenerator json) throws IOException;
    }

    /**
     * @param body writes one value.
     * @return the value's compact JSON text.
     */
    static String write(final Body body)
    {
        final StringWriter text = new StringWriter(256);
        try (JsonGenerator json = FACTORY.createGenerator(text))
        {
            body.writeTo(json);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        return text.toString();
    }

    /**
     * Write a rate, a time or a percentage rounded to three decimals; NaN and infinities, which JSON has no number
     * for, as null.
     */
    static void writeRounded(final JsonGenerator json, final String name, final double value) throws IOException
    {
        json.writeFieldName(name);
        if (Double.isFinite(value))
        {
            json.writeNumber(Math.round(value * 1000.0) / 1000.0);
        }
        else
        {
            json.writeNull();
        }
    }

    /**
     * Write an unsigned 64-bit value as a JSON number, exactly (never through a double).
     */
    static void writeUnsigned(final JsonGenerator json, final String name, final long value) throws IOException
    {
        json.writeFieldName(name);
        json.writeNumber(Long.toUnsignedString(value));
    }

    /**
     * @param text a node's answer.
     * @param name a member's name, at any depth.
     * @return the value of the first member so named that is a non-negative integer, or -1 when there is none
     * before the text ends or stops being JSON.
     */
    static long findCount(final String text, final String name)
    {
        try (JsonParser parser = FACTORY.createParser(text))
        {
            for (JsonToken token = parser.nextToken(); null != token; token = parser.nextToken())
            {
                if (token == JsonToken.FIELD_NAME && name.equals(parser.currentName()) &&
                    parser.nextToken() == JsonToken.VALUE_NUMBER_INT &&
                    parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER && parser.getLongValue() >= 0)
                {
                    return parser.getLongValue();
                }
            }
        }
        catch (final IOException ex)
        {
            return -1;
        }
        return -1;
    }

    /**
     * @return the object's members in their order: maps, lists, strings, booleans, nulls and numbers, a number a
     * {@link Double} unless it is an integer a double cannot hold exactly, which is a {@link BigInteger}.
     * @throws IllegalArgumentException when the text is not JSON or not an object.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(final String text)
    {
        final Object value = parse(text);
        if (!(value instanceof Map))
        {
            throw new IllegalArgumentException("not a JSON object: " + text);
        }
        return (Map<String, Object>)value;
    }

    /**
     * @return the value: a map, list, string, number (see {@link #object(String)}), boolean or null.
     * @throws IllegalArgumentException saying where the text is not JSON.
     */
    static Object parse(final String text)
    {
        try (JsonParser parser = FACTORY.createParser(text))
        {
            if (null == parser.nextToken())
            {
                throw new IllegalArgumentException("unexpected end in " + text);
            }
            final Object value = value(parser);
            if (null != parser.nextToken())
            {
                throw new IllegalArgumentException("trailing text at " + parser.currentLocation().getCharOffset() +
                    " in " + text);
            }
            return value;
        }
        catch (final JsonProcessingException ex)
        {
            final JsonLocation at = ex.getLocation();
            throw new IllegalArgumentException(ex.getOriginalMessage() +
                (null == at ? "" : " at " + at.getCharOffset()) + " in " + text, ex);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static Object value(final JsonParser parser) throws IOException
    {
        final JsonToken token = parser.currentToken();
        switch (token)
        {
            case START_OBJECT:
                final Map<String, Object> map = new LinkedHashMap<>();
                while (parser.nextToken() == JsonToken.FIELD_NAME)
                {
                    final String name = parser.currentName();
                    parser.nextToken();
                    map.put(name, value(parser));
                }
                return map;
            case START_ARRAY:
                final List<Object> list = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY)
                {
                    list.add(value(parser));
                }
                return list;
            case VALUE_STRING:
                return parser.getText();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            case VALUE_NUMBER_INT:
                return integer(parser);
            case VALUE_NUMBER_FLOAT:
                return parser.getDoubleValue();
            default:
                throw new IllegalArgumentException("unexpected " + token);
        }
    }

    private static Object integer(final JsonParser parser) throws IOException
    {
        if (parser.getNumberType() != JsonParser.NumberType.BIG_INTEGER)
        {
            final long value = parser.getLongValue();
            if (value >= -MAX_EXACT_DOUBLE && value <= MAX_EXACT_DOUBLE)
            {
                return (double)value;
            }
        }
        return parser.getBigIntegerValue();
    }
}
