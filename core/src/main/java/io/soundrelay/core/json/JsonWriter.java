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

import java.util.Arrays;

/**
 * A small JSON writer over a {@link StringBuilder}: commas and colons are written for the caller, and a call out of
 * place (a value in an object without a name, a name in an array, an unbalanced end, a second top-level value)
 * throws {@link IllegalStateException} rather than writing invalid JSON.
 * <pre>{@code
 * final String json = new JsonWriter()
 *     .beginObject()
 *     .name("stream_id").unsignedValue(streamId)
 *     .name("targets").beginArray().value("10.0.0.1:5000").endArray()
 *     .endObject()
 *     .toJson();
 * }</pre>
 * Not thread safe; {@link #reset()} makes it reusable.
 */
public final class JsonWriter
{
    private static final byte EMPTY_DOCUMENT = 0;
    private static final byte NONEMPTY_DOCUMENT = 1;
    private static final byte EMPTY_OBJECT = 2;
    private static final byte NONEMPTY_OBJECT = 3;
    private static final byte DANGLING_NAME = 4;
    private static final byte EMPTY_ARRAY = 5;
    private static final byte NONEMPTY_ARRAY = 6;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final StringBuilder out;
    private final int startLength;
    private byte[] stack = new byte[8];
    private int depth = 1;

    /**
     * A writer over a new builder.
     */
    public JsonWriter()
    {
        this(new StringBuilder(256));
    }

    /**
     * @param out builder to append to; text already in it is left alone.
     */
    public JsonWriter(final StringBuilder out)
    {
        this.out = out;
        this.startLength = out.length();
        stack[0] = EMPTY_DOCUMENT;
    }

    public JsonWriter beginObject()
    {
        beforeValue();
        push(EMPTY_OBJECT);
        out.append('{');
        return this;
    }

    public JsonWriter endObject()
    {
        final byte top = stack[depth - 1];
        if (top != EMPTY_OBJECT && top != NONEMPTY_OBJECT)
        {
            throw new IllegalStateException(top == DANGLING_NAME ? "name() without a value" : "not in an object");
        }
        depth--;
        out.append('}');
        return this;
    }

    public JsonWriter beginArray()
    {
        beforeValue();
        push(EMPTY_ARRAY);
        out.append('[');
        return this;
    }

    public JsonWriter endArray()
    {
        final byte top = stack[depth - 1];
        if (top != EMPTY_ARRAY && top != NONEMPTY_ARRAY)
        {
            throw new IllegalStateException("not in an array");
        }
        depth--;
        out.append(']');
        return this;
    }

    /**
     * @param name of the next member of the current object; the next call writes its value.
     * @return this.
     */
    public JsonWriter name(final String name)
    {
        final byte top = stack[depth - 1];
        if (top == NONEMPTY_OBJECT)
        {
            out.append(',');
        }
        else if (top != EMPTY_OBJECT)
        {
            throw new IllegalStateException(top == DANGLING_NAME ? "two names in a row" : "name() outside an object");
        }
        appendQuoted(out, name);
        out.append(':');
        stack[depth - 1] = DANGLING_NAME;
        return this;
    }

    /**
     * @param value a string, escaped as needed, or null to write {@code null}.
     * @return this.
     */
    public JsonWriter value(final String value)
    {
        if (value == null)
        {
            return nullValue();
        }
        beforeValue();
        appendQuoted(out, value);
        return this;
    }

    public JsonWriter value(final long value)
    {
        beforeValue();
        out.append(value);
        return this;
    }

    /**
     * @param value the bits of an unsigned 64-bit value, such as a stream id.
     * @return this.
     */
    public JsonWriter unsignedValue(final long value)
    {
        beforeValue();
        out.append(Long.toUnsignedString(value));
        return this;
    }

    public JsonWriter value(final boolean value)
    {
        beforeValue();
        out.append(value);
        return this;
    }

    public JsonWriter nullValue()
    {
        beforeValue();
        out.append("null");
        return this;
    }

    /**
     * @param value a number as parsed, or null to write {@code null}.
     * @return this.
     */
    public JsonWriter value(final JsonNumber value)
    {
        if (value == null)
        {
            return nullValue();
        }
        beforeValue();
        out.append(value.text());
        return this;
    }

    /**
     * @param literal a JSON number literal such as {@code 0.25} or {@code 1e-3}, written as is.
     * @return this.
     * @throws IllegalArgumentException when the literal is not exactly a JSON number.
     */
    public JsonWriter rawNumber(final String literal)
    {
        final boolean valid;
        try
        {
            valid = JsonNumber.of(literal).text().equals(literal);
        }
        catch (final JsonException ex)
        {
            throw new IllegalArgumentException("not a JSON number: " + quote(String.valueOf(literal)), ex);
        }
        if (!valid)
        {
            throw new IllegalArgumentException("not a JSON number: " + quote(literal));
        }
        beforeValue();
        out.append(literal);
        return this;
    }

    /**
     * @return true when exactly one complete top-level value has been written.
     */
    public boolean isComplete()
    {
        return depth == 1 && stack[0] == NONEMPTY_DOCUMENT;
    }

    /**
     * @return the JSON text written.
     * @throws IllegalStateException when the value is not complete: an object or array is still open.
     */
    public String toJson()
    {
        if (!isComplete())
        {
            throw new IllegalStateException("incomplete JSON: " + (depth - 1) + " object(s) or array(s) still open");
        }
        return out.substring(startLength);
    }

    /**
     * Forget everything written, to write a new document into the same builder.
     *
     * @return this.
     */
    public JsonWriter reset()
    {
        out.setLength(startLength);
        depth = 1;
        stack[0] = EMPTY_DOCUMENT;
        return this;
    }

    /**
     * @return the text written so far, complete or not.
     */
    public String toString()
    {
        return out.substring(startLength);
    }

    /**
     * @param text any text.
     * @return the text as a JSON string literal, quotes included.
     */
    public static String quote(final CharSequence text)
    {
        final StringBuilder sb = new StringBuilder(text.length() + 2);
        appendQuoted(sb, text);
        return sb.toString();
    }

    /**
     * Append a JSON string literal: quotes, backslashes and control characters escaped, U+2028 and U+2029 escaped
     * for script embedding, an unpaired surrogate replaced by U+FFFD so that the output is always valid UTF-16.
     *
     * @param sb   to append to.
     * @param text any text.
     */
    public static void appendQuoted(final StringBuilder sb, final CharSequence text)
    {
        sb.append('"');
        final int length = text.length();
        for (int i = 0; i < length; i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                case '\b':
                    sb.append("\\b");
                    break;
                case '\f':
                    sb.append("\\f");
                    break;
                default:
                    if (c < 0x20 || c == '\u2028' || c == '\u2029')
                    {
                        appendUnicodeEscape(sb, c);
                    }
                    else if (Character.isHighSurrogate(c) && i + 1 < length &&
                        Character.isLowSurrogate(text.charAt(i + 1)))
                    {
                        sb.append(c).append(text.charAt(++i));
                    }
                    else if (Character.isSurrogate(c))
                    {
                        appendUnicodeEscape(sb, '\uFFFD');
                    }
                    else
                    {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }

    private static void appendUnicodeEscape(final StringBuilder sb, final char c)
    {
        sb.append("\\u").append(HEX[c >>> 12]).append(HEX[(c >>> 8) & 0xF]).append(HEX[(c >>> 4) & 0xF])
            .append(HEX[c & 0xF]);
    }

    private void beforeValue()
    {
        final int top = depth - 1;
        switch (stack[top])
        {
            case EMPTY_DOCUMENT:
                stack[top] = NONEMPTY_DOCUMENT;
                break;
            case NONEMPTY_DOCUMENT:
                throw new IllegalStateException("the JSON document already has its value");
            case EMPTY_ARRAY:
                stack[top] = NONEMPTY_ARRAY;
                break;
            case NONEMPTY_ARRAY:
                out.append(',');
                break;
            case DANGLING_NAME:
                stack[top] = NONEMPTY_OBJECT;
                break;
            default:
                throw new IllegalStateException("a value in an object needs name() first");
        }
    }

    private void push(final byte scope)
    {
        if (depth == stack.length)
        {
            stack = Arrays.copyOf(stack, depth * 2);
        }
        stack[depth++] = scope;
    }
}
