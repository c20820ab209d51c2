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

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The little JSON this module needs, so that it depends on nothing but JDA and the JDK: a writer for the route
 * request and a strict reader (RFC 8259, no extensions) for the node's answers. Objects read as maps, arrays as
 * lists, numbers as {@link Double} or, when integral and too large for a double's exact range, as their text.
 */
final class Json
{
    private final String text;
    private int index;

    private Json(final String text)
    {
        this.text = text;
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
        final StringBuilder json = new StringBuilder(128);
        json.append("{\"stream_id\":").append(Long.toUnsignedString(streamId)).append(",\"source_addr\":");
        appendString(json, sourceAddr).append(",\"target_addrs\":[");
        for (int i = 0; i < targetAddrs.size(); i++)
        {
            if (i > 0)
            {
                json.append(',');
            }
            appendString(json, targetAddrs.get(i));
        }
        json.append(']');
        if (paceMs > 0)
        {
            json.append(",\"pace_ms\":").append(paceMs);
        }
        return json.append('}').toString();
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
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            if (c == '"' || c == '\\')
            {
                json.append('\\').append(c);
            }
            else if (c < 0x20)
            {
                json.append(String.format(Locale.ROOT, "\\u%04x", (int)c));
            }
            else
            {
                json.append(c);
            }
        }
        return json.append('"');
    }

    /**
     * @param text JSON text.
     * @return the value: a map, list, string, number, boolean or null.
     * @throws IllegalArgumentException saying where the text is not JSON.
     */
    static Object parse(final String text)
    {
        final Json json = new Json(text);
        final Object value = json.value();
        json.whitespace();
        if (json.index != text.length())
        {
            throw json.error("trailing text");
        }
        return value;
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

    private Object value()
    {
        whitespace();
        switch (peek())
        {
            case '{':
                return object();
            case '[':
                return array();
            case '"':
                return string();
            case 't':
                return literal("true", Boolean.TRUE);
            case 'f':
                return literal("false", Boolean.FALSE);
            case 'n':
                return literal("null", null);
            case '\0':
                throw error("unexpected end");
            default:
                return number();
        }
    }

    private Map<String, Object> object()
    {
        final Map<String, Object> map = new LinkedHashMap<>();
        index++;
        whitespace();
        if (peek() == '}')
        {
            index++;
            return map;
        }
        while (true)
        {
            whitespace();
            if (peek() != '"')
            {
                throw error("expected a name");
            }
            final String name = string();
            whitespace();
            expect(':');
            if (map.containsKey(name))
            {
                throw error("duplicate name " + name);
            }
            map.put(name, value());
            whitespace();
            if (peek() == ',')
            {
                index++;
                continue;
            }
            expect('}');
            return map;
        }
    }

    private List<Object> array()
    {
        final List<Object> list = new ArrayList<>();
        index++;
        whitespace();
        if (peek() == ']')
        {
            index++;
            return list;
        }
        while (true)
        {
            list.add(value());
            whitespace();
            if (peek() == ',')
            {
                index++;
                continue;
            }
            expect(']');
            return list;
        }
    }

    private String string()
    {
        final StringBuilder value = new StringBuilder();
        index++;
        while (true)
        {
            if (index >= text.length())
            {
                throw error("unterminated string");
            }
            final char c = text.charAt(index++);
            if (c == '"')
            {
                return value.toString();
            }
            if (c < 0x20)
            {
                throw error("control character in string");
            }
            if (c != '\\')
            {
                value.append(c);
                continue;
            }
            if (index >= text.length())
            {
                throw error("unterminated string");
            }
            final char escaped = text.charAt(index++);
            switch (escaped)
            {
                case '"':
                case '\\':
                case '/':
                    value.append(escaped);
                    break;
                case 'b':
                    value.append('\b');
                    break;
                case 'f':
                    value.append('\f');
                    break;
                case 'n':
                    value.append('\n');
                    break;
                case 'r':
                    value.append('\r');
                    break;
                case 't':
                    value.append('\t');
                    break;
                case 'u':
                    value.append(hex4());
                    break;
                default:
                    throw error("bad escape");
            }
        }
    }

    private char hex4()
    {
        if (index + 4 > text.length())
        {
            throw error("unterminated string");
        }
        int c = 0;
        for (int i = 0; i < 4; i++)
        {
            final int digit = Character.digit(text.charAt(index++), 16);
            if (digit < 0)
            {
                throw error("bad \\u escape");
            }
            c = (c << 4) | digit;
        }
        return (char)c;
    }

    private Object number()
    {
        final int start = index;
        boolean integral = true;
        if (peek() == '-')
        {
            index++;
        }
        if (peek() == '0')
        {
            index++;
        }
        else
        {
            digits();
        }
        if (peek() == '.')
        {
            integral = false;
            index++;
            digits();
        }
        if (peek() == 'e' || peek() == 'E')
        {
            integral = false;
            index++;
            if (peek() == '+' || peek() == '-')
            {
                index++;
            }
            digits();
        }
        final String number = text.substring(start, index);
        // A u64 stream id does not fit a double exactly: keep large integers as their text.
        return integral && number.length() > 15 ? number : Double.valueOf(number);
    }

    private void digits()
    {
        final int start = index;
        while (index < text.length() && text.charAt(index) >= '0' && text.charAt(index) <= '9')
        {
            index++;
        }
        if (start == index)
        {
            throw error("expected a digit");
        }
    }

    private Object literal(final String word, final Object value)
    {
        if (!text.startsWith(word, index))
        {
            throw error("expected " + word);
        }
        index += word.length();
        return value;
    }

    private void expect(final char c)
    {
        if (peek() != c)
        {
            throw error("expected '" + c + "'");
        }
        index++;
    }

    private char peek()
    {
        return index < text.length() ? text.charAt(index) : '\0';
    }

    private void whitespace()
    {
        while (index < text.length() && " \t\r\n".indexOf(text.charAt(index)) >= 0)
        {
            index++;
        }
    }

    private IllegalArgumentException error(final String why)
    {
        return new IllegalArgumentException("not JSON: " + why + " at offset " + index);
    }
}
