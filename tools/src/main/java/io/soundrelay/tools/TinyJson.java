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

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A strict JSON reader (RFC 8259, no extensions): objects become maps, arrays lists, numbers doubles. Anything
 * malformed, including trailing text, throws {@link IllegalArgumentException}. The tools read nodes' answers with
 * it, the tests read the tools' reports; {@link #appendString(StringBuilder, String)} is the string quoting the
 * tools' JSON writers share.
 */
final class TinyJson
{
    private final String text;
    private int index;

    private TinyJson(final String text)
    {
        this.text = text;
    }

    /**
     * @return the value: a map, list, string, double, boolean or null.
     * @throws IllegalArgumentException saying where the text is not JSON.
     */
    static Object parse(final String text)
    {
        final TinyJson json = new TinyJson(text);
        final Object value;
        try
        {
            value = json.value();
        }
        catch (final IndexOutOfBoundsException ex)
        {
            throw json.error("unexpected end");
        }
        json.whitespace();
        if (json.index != text.length())
        {
            throw json.error("trailing text");
        }
        return value;
    }

    /**
     * Append {@code value} as a JSON string: quoted, with quote, backslash and control characters escaped.
     *
     * @return the builder.
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
     * @return the object's members in their order.
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

    private Object value()
    {
        whitespace();
        if (index >= text.length())
        {
            throw error("unexpected end");
        }
        final char c = text.charAt(index);
        switch (c)
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
                    value.append((char)Integer.parseInt(text.substring(index, index + 4), 16));
                    index += 4;
                    break;
                default:
                    throw error("bad escape");
            }
        }
    }

    private Double number()
    {
        final int start = index;
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
            index++;
            digits();
        }
        if (peek() == 'e' || peek() == 'E')
        {
            index++;
            if (peek() == '+' || peek() == '-')
            {
                index++;
            }
            digits();
        }
        return Double.valueOf(text.substring(start, index));
    }

    private void digits()
    {
        final int start = index;
        while (index < text.length() && Character.isDigit(text.charAt(index)))
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
        return new IllegalArgumentException(why + " at " + index + " in " + text);
    }
}
