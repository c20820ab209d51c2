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

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The little JSON this module needs, on Jackson's streaming core (the line JDA itself brings): a writer for the route
 * request and a strict reader (RFC 8259, no extensions, no duplicate names, nothing after the value) for the node's
 * answers. Objects read as maps, arrays as lists, numbers as {@link Double} or, when integral and too large for a
 * double's exact range, as their text, so that a u64 stream id stays exact.
 */
final class Json
{
    /** Integers with more characters than this may not fit a double exactly: they are kept as their text. */
    private static final int MAX_DOUBLE_EXACT_CHARS = 15;
    /** Jackson's defaults are RFC 8259: no comments, quotes only, no leading zeros, no NaN, no trailing commas. */
    private static final JsonFactory FACTORY = JsonFactory.builder().build();

    private Json()
    {
    }

    /**
     * The body of {@code POST /route} and {@code PUT /route/{id}} (PROTOCOL.md section 2).
     *
     * @param streamId    the stream id, an unsigned value (the RTP SSRC here).
     * @param sourceAddr  {@code ip:port} the node will see the packets come from.
     * @param targetAddrs the targets, each {@code ip:port} or {@code [v6]:port}.
     * @return the route request as JSON, without {@code pace_ms}.
     */
    static String routeRequest(final long streamId, final String sourceAddr, final List<String> targetAddrs)
    {
        return routeRequest(streamId, sourceAddr, targetAddrs, 0);
    }

    /**
     * The body of {@code POST /route} and {@code PUT /route/{id}} (PROTOCOL.md section 2), with pacing.
     *
     * @param streamId    the stream id, an unsigned value (the RTP SSRC here).
     * @param sourceAddr  {@code ip:port} the node will see the packets come from.
     * @param targetAddrs the targets, each {@code ip:port} or {@code [v6]:port}.
     * @param paceMs      the route's {@code pace_ms}; 0 leaves the member out, so that the body is what a node
     *                    without pacing accepts (such a node refuses {@code pace_ms}, even 0).
     * @return the route request as JSON.
     */
    static String routeRequest(
        final long streamId, final String sourceAddr, final List<String> targetAddrs, final int paceMs)
    {
        final StringWriter json = new StringWriter(128);
        try (JsonGenerator generator = FACTORY.createGenerator(json))
        {
            generator.writeStartObject();
            generator.writeFieldName("stream_id");
            generator.writeNumber(Long.toUnsignedString(streamId));
            generator.writeStringField("source_addr", sourceAddr);
            generator.writeArrayFieldStart("target_addrs");
            for (final String target : targetAddrs)
            {
                generator.writeString(target);
            }
            generator.writeEndArray();
            if (paceMs > 0)
            {
                generator.writeNumberField("pace_ms", paceMs);
            }
            generator.writeEndObject();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex); // a StringWriter does not fail
        }
        return json.toString();
    }

    /**
     * Append {@code value} as a JSON string: quoted, with quote, backslash and control characters escaped.
     *
     * @param json  where to append.
     * @param value the string.
     * @return {@code json}.
     */
    static StringBuilder appendString(final StringBuilder json, final String value)
    {
        json.append('"');
        JsonStringEncoder.getInstance().quoteAsString(value, json);
        return json.append('"');
    }

    /**
     * @param text JSON text.
     * @return the value: a map, list, string, number, boolean or null.
     * @throws IllegalArgumentException saying where the text is not JSON.
     */
    static Object parse(final String text)
    {
        try (JsonParser parser = FACTORY.createParser(text))
        {
            if (null == parser.nextToken())
            {
                throw error("unexpected end", parser.currentLocation());
            }
            final Object value = value(parser);
            if (null != parser.nextToken())
            {
                throw error("trailing text", parser.currentTokenLocation());
            }
            return value;
        }
        catch (final JsonProcessingException ex)
        {
            throw error(ex.getOriginalMessage(), ex.getLocation());
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("not JSON: " + ex.getMessage(), ex);
        }
    }

    /**
     * @param text JSON text that should be an object.
     * @return its members in order.
     * @throws IllegalArgumentException when the text is not JSON or not an object.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(final String text)
    {
        final Object value = parse(text);
        if (!(value instanceof Map))
        {
            throw new IllegalArgumentException("not a JSON object");
        }
        return (Map<String, Object>)value;
    }

    /**
     * The {@code "error"} of a node's error body, or null when the body is not one.
     *
     * @param body a response body.
     * @return what the node said is wrong, for a person.
     */
    static String errorMessage(final String body)
    {
        try
        {
            final Object error = object(body).get("error");
            return error instanceof String ? (String)error : null;
        }
        catch (final IllegalArgumentException ex)
        {
            return null;
        }
    }

    /**
     * @param parser positioned on the value's first token.
     * @return the value, the parser left on its last token.
     */
    private static Object value(final JsonParser parser) throws IOException
    {
        final JsonToken token = parser.currentToken();
        if (null == token)
        {
            throw error("unexpected end", parser.currentLocation());
        }
        switch (token)
        {
            case START_OBJECT:
                return object(parser);
            case START_ARRAY:
                return array(parser);
            case VALUE_STRING:
                return parser.getText();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            case VALUE_NUMBER_INT:
            {
                final String number = parser.getText();
                return number.length() > MAX_DOUBLE_EXACT_CHARS ? number : Double.valueOf(number);
            }
            case VALUE_NUMBER_FLOAT:
                return Double.valueOf(parser.getText());
            default:
                throw error("unexpected " + token, parser.currentTokenLocation());
        }
    }

    private static Map<String, Object> object(final JsonParser parser) throws IOException
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME)
        {
            final String name = parser.currentName();
            if (map.containsKey(name))
            {
                throw error("duplicate name " + name, parser.currentTokenLocation());
            }
            parser.nextToken();
            map.put(name, value(parser));
        }
        if (parser.currentToken() != JsonToken.END_OBJECT)
        {
            throw error("expected a name", parser.currentLocation());
        }
        return map;
    }

    private static List<Object> array(final JsonParser parser) throws IOException
    {
        final List<Object> list = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY)
        {
            list.add(value(parser));
        }
        return list;
    }

    private static IllegalArgumentException error(final String why, final JsonLocation location)
    {
        return new IllegalArgumentException(
            "not JSON: " + why + (null == location ? "" : " at offset " + location.getCharOffset()));
    }
}
