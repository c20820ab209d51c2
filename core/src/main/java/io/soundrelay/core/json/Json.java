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

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON (RFC 8259) parser for the control API and Redis values: no framework, no reflection.
 * <p>
 * Values come back as {@link LinkedHashMap}{@code <String, Object>} (keys in document order),
 * {@link ArrayList}{@code <Object>}, {@link String}, {@link JsonNumber} (the literal text, never rounded),
 * {@link Boolean} or {@link #NULL}, so that {@code "x": null} is distinguishable from an absent key.
 * <p>
 * Refused, each with a {@link JsonException} naming the character offset: trailing text after the value,
 * duplicate keys, nesting deeper than {@link #MAX_DEPTH}, numbers with leading zeros, {@code NaN} and
 * {@code Infinity}, control characters in strings, unknown escapes and unpaired surrogates.
 */
public final class Json
{
    /** Deepest nesting of objects and arrays accepted: a request never needs more, a stack never overflows. */
    public static final int MAX_DEPTH = 32;

    /** The JSON {@code null} value, distinct from a Java {@code null} that means "absent". */
    public static final Object NULL = new Null();

    private static final int MAX_ECHO_LENGTH = 32;

    private final String text;
    private int position;

    private Json(final String text)
    {
        this.text = text;
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
        final Json parser = new Json(text);
        parser.skipWhitespace();
        if (parser.position == text.length())
        {
            throw new JsonException("empty text, expected a JSON value", 0);
        }
        final Object value = parser.parseValue(0);
        parser.skipWhitespace();
        if (parser.position != text.length())
        {
            throw parser.error("unexpected " + parser.describeCurrent() + " after the JSON value");
        }
        return value;
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

    private Object parseValue(final int depth)
    {
        if (position >= text.length())
        {
            throw error("unexpected end of text, expected a JSON value");
        }
        final char c = text.charAt(position);
        switch (c)
        {
            case '{':
                return parseObject(depth + 1);
            case '[':
                return parseArray(depth + 1);
            case '"':
                return parseString();
            case 't':
                return parseLiteral("true", Boolean.TRUE);
            case 'f':
                return parseLiteral("false", Boolean.FALSE);
            case 'n':
                return parseLiteral("null", NULL);
            case 'N':
                throw error("NaN is not a JSON value");
            case 'I':
                throw error("Infinity is not a JSON value");
            default:
                if (c == '-' || (c >= '0' && c <= '9'))
                {
                    return parseNumber();
                }
                throw error("unexpected " + describeCurrent() + ", expected a JSON value");
        }
    }

    private LinkedHashMap<String, Object> parseObject(final int depth)
    {
        checkDepth(depth);
        position++; // '{'
        final LinkedHashMap<String, Object> object = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}')
        {
            position++;
            return object;
        }
        while (true)
        {
            skipWhitespace();
            if (peek() != '"')
            {
                throw error("unexpected " + describeCurrent() + ", expected a \"key\" in double quotes");
            }
            final int keyOffset = position;
            final String key = parseString();
            if (object.containsKey(key))
            {
                throw new JsonException("duplicate key " + echo(key), keyOffset);
            }
            skipWhitespace();
            if (peek() != ':')
            {
                throw error("unexpected " + describeCurrent() + ", expected ':' after key " + echo(key));
            }
            position++;
            skipWhitespace();
            object.put(key, parseValue(depth));
            skipWhitespace();
            final int next = peek();
            position++;
            if (next == '}')
            {
                return object;
            }
            if (next != ',')
            {
                position--;
                throw error("unexpected " + describeCurrent() + ", expected ',' or '}' in an object");
            }
        }
    }

    private ArrayList<Object> parseArray(final int depth)
    {
        checkDepth(depth);
        position++; // '['
        final ArrayList<Object> array = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']')
        {
            position++;
            return array;
        }
        while (true)
        {
            skipWhitespace();
            array.add(parseValue(depth));
            skipWhitespace();
            final int next = peek();
            position++;
            if (next == ']')
            {
                return array;
            }
            if (next != ',')
            {
                position--;
                throw error("unexpected " + describeCurrent() + ", expected ',' or ']' in an array");
            }
        }
    }

    private String parseString()
    {
        final int start = ++position; // after the opening quote
        StringBuilder sb = null;
        int runStart = start;
        while (true)
        {
            if (position >= text.length())
            {
                throw new JsonException("unterminated string", start - 1);
            }
            final char c = text.charAt(position);
            if (c == '"')
            {
                final String value;
                if (sb == null)
                {
                    value = text.substring(start, position);
                }
                else
                {
                    value = sb.append(text, runStart, position).toString();
                }
                position++;
                return value;
            }
            if (c < 0x20)
            {
                throw error("control character U+" + hex4(c) + " in a string must be escaped");
            }
            if (c == '\\')
            {
                if (sb == null)
                {
                    sb = new StringBuilder(position - start + 16);
                }
                sb.append(text, runStart, position);
                parseEscape(sb);
                runStart = position;
            }
            else if (Character.isHighSurrogate(c))
            {
                if (position + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(position + 1)))
                {
                    throw error("unpaired surrogate U+" + hex4(c) + " in a string");
                }
                position += 2;
            }
            else if (Character.isLowSurrogate(c))
            {
                throw error("unpaired surrogate U+" + hex4(c) + " in a string");
            }
            else
            {
                position++;
            }
        }
    }

    private void parseEscape(final StringBuilder sb)
    {
        final int escapeOffset = position;
        position++; // '\'
        if (position >= text.length())
        {
            throw new JsonException("unterminated escape", escapeOffset);
        }
        final char c = text.charAt(position++);
        switch (c)
        {
            case '"':
            case '\\':
            case '/':
                sb.append(c);
                break;
            case 'b':
                sb.append('\b');
                break;
            case 'f':
                sb.append('\f');
                break;
            case 'n':
                sb.append('\n');
                break;
            case 'r':
                sb.append('\r');
                break;
            case 't':
                sb.append('\t');
                break;
            case 'u':
                final char unit = parseHex4(escapeOffset);
                if (Character.isHighSurrogate(unit))
                {
                    final int lowOffset = position;
                    if (position + 1 < text.length() && text.charAt(position) == '\\' &&
                        text.charAt(position + 1) == 'u')
                    {
                        position += 2;
                        final char low = parseHex4(lowOffset);
                        if (Character.isLowSurrogate(low))
                        {
                            sb.append(unit).append(low);
                            break;
                        }
                    }
                    throw new JsonException("unpaired surrogate \\u" + hex4(unit) + " in a string", escapeOffset);
                }
                if (Character.isLowSurrogate(unit))
                {
                    throw new JsonException("unpaired surrogate \\u" + hex4(unit) + " in a string", escapeOffset);
                }
                sb.append(unit);
                break;
            default:
                throw new JsonException("invalid escape \\" + describe(c) + " in a string", escapeOffset);
        }
    }

    private char parseHex4(final int escapeOffset)
    {
        if (position + 4 > text.length())
        {
            throw new JsonException("\\u escape needs four hex digits", escapeOffset);
        }
        int value = 0;
        for (int i = 0; i < 4; i++)
        {
            final int digit = hexDigit(text.charAt(position + i));
            if (digit < 0)
            {
                throw new JsonException("\\u escape needs four hex digits", escapeOffset);
            }
            value = (value << 4) | digit;
        }
        position += 4;
        return (char)value;
    }

    private JsonNumber parseNumber()
    {
        final int start = position;
        if (peek() == '-')
        {
            position++;
        }
        final int first = peek();
        if (first == '0')
        {
            position++;
            if (isDigit(peek()))
            {
                throw new JsonException("number with a leading zero", start);
            }
        }
        else if (isDigit(first))
        {
            skipDigits();
        }
        else if (first == 'I')
        {
            throw error("Infinity is not a JSON value");
        }
        else
        {
            throw error("unexpected " + describeCurrent() + ", expected a digit");
        }
        boolean integral = true;
        if (peek() == '.')
        {
            integral = false;
            position++;
            if (!isDigit(peek()))
            {
                throw error("unexpected " + describeCurrent() + ", expected a digit after '.'");
            }
            skipDigits();
        }
        final int e = peek();
        if (e == 'e' || e == 'E')
        {
            integral = false;
            position++;
            final int sign = peek();
            if (sign == '+' || sign == '-')
            {
                position++;
            }
            if (!isDigit(peek()))
            {
                throw error("unexpected " + describeCurrent() + ", expected a digit in the exponent");
            }
            skipDigits();
        }
        return new JsonNumber(text.substring(start, position), integral);
    }

    private Object parseLiteral(final String literal, final Object value)
    {
        if (!text.startsWith(literal, position))
        {
            throw error("unexpected " + describeCurrent() + ", expected a JSON value");
        }
        position += literal.length();
        return value;
    }

    private void checkDepth(final int depth)
    {
        if (depth > MAX_DEPTH)
        {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    private void skipWhitespace()
    {
        while (position < text.length())
        {
            final char c = text.charAt(position);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
            {
                return;
            }
            position++;
        }
    }

    private void skipDigits()
    {
        while (isDigit(peek()))
        {
            position++;
        }
    }

    private static int hexDigit(final char c)
    {
        if (c >= '0' && c <= '9')
        {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f')
        {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F')
        {
            return c - 'A' + 10;
        }
        return -1;
    }

    private static boolean isDigit(final int c)
    {
        return c >= '0' && c <= '9';
    }

    private int peek()
    {
        return position < text.length() ? text.charAt(position) : -1;
    }

    private JsonException error(final String reason)
    {
        return new JsonException(reason, position);
    }

    private String describeCurrent()
    {
        return position < text.length() ? describe(text.charAt(position)) : "end of text";
    }

    private static String describe(final char c)
    {
        return c > 0x20 && c < 0x7F ? "'" + c + "'" : "U+" + hex4(c);
    }

    private static String hex4(final char c)
    {
        final String hex = Integer.toHexString(c).toUpperCase();
        return "0000".substring(hex.length()) + hex;
    }

    private static String echo(final String key)
    {
        final String shown = key.length() > MAX_ECHO_LENGTH ? key.substring(0, MAX_ECHO_LENGTH) + "..." : key;
        return JsonWriter.quote(shown);
    }

    private static final class Null
    {
        public String toString()
        {
            return "null";
        }
    }
}
