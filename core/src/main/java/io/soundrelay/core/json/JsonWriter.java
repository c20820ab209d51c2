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
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.json.JsonWriteFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;

/**
 * A small JSON writer over a {@link StringBuilder}, on Jackson's {@link JsonGenerator}: commas and colons are written
 * for the caller, and a call out of place (a value in an object without a name, a name in an array, an unbalanced
 * end, a second top-level value) throws {@link IllegalStateException} rather than writing invalid JSON.
 * <pre>{@code
 * final String json = new JsonWriter()
 *     .beginObject()
 *     .name("stream_id").unsignedValue(streamId)
 *     .name("targets").beginArray().value("10.0.0.1:5000").endArray()
 *     .endObject()
 *     .toJson();
 * }</pre>
 * Strings are escaped as they always were here: lower-case hex digits in escapes, U+2028 and U+2029 escaped for
 * script embedding, an unpaired surrogate replaced by U+FFFD so that the output is always valid UTF-16.
 * Each call flushes Jackson's buffer, so the builder always holds all that is written.
 * Not thread safe; {@link #reset()} makes it reusable.
 */
public final class JsonWriter
{
    private static final JsonFactory FACTORY = new JsonFactoryBuilder()
        .characterEscapes(new Escapes())
        .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
        .build();

    private final StringBuilder out;
    private final int startLength;
    private JsonGenerator generator;
    private int depth;
    private boolean danglingName;
    private boolean hasValue;

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
        this.generator = newGenerator(out);
    }

    public JsonWriter beginObject()
    {
        beforeValue();
        write(JsonGenerator::writeStartObject);
        depth++;
        return this;
    }

    public JsonWriter endObject()
    {
        if (danglingName)
        {
            throw new IllegalStateException("name() without a value");
        }
        write(JsonGenerator::writeEndObject);
        depth--;
        return this;
    }

    public JsonWriter beginArray()
    {
        beforeValue();
        write(JsonGenerator::writeStartArray);
        depth++;
        return this;
    }

    public JsonWriter endArray()
    {
        write(JsonGenerator::writeEndArray);
        depth--;
        return this;
    }

    /**
     * @param name of the next member of the current object; the next call writes its value.
     * @return this.
     */
    public JsonWriter name(final String name)
    {
        write(g -> g.writeFieldName(sanitize(name)));
        danglingName = true;
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
        return write(g -> g.writeString(sanitize(value)));
    }

    public JsonWriter value(final long value)
    {
        beforeValue();
        return write(g -> g.writeNumber(value));
    }

    /**
     * @param value the bits of an unsigned 64-bit value, such as a stream id.
     * @return this.
     */
    public JsonWriter unsignedValue(final long value)
    {
        return number(Long.toUnsignedString(value));
    }

    public JsonWriter value(final boolean value)
    {
        beforeValue();
        return write(g -> g.writeBoolean(value));
    }

    public JsonWriter nullValue()
    {
        beforeValue();
        return write(JsonGenerator::writeNull);
    }

    /**
     * @param value a number as parsed, or null to write {@code null}.
     * @return this.
     */
    public JsonWriter value(final JsonNumber value)
    {
        return value == null ? nullValue() : number(value.text());
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
        return number(literal);
    }

    /**
     * @return true when exactly one complete top-level value has been written.
     */
    public boolean isComplete()
    {
        return depth == 0 && hasValue;
    }

    /**
     * @return the JSON text written.
     * @throws IllegalStateException when the value is not complete: an object or array is still open.
     */
    public String toJson()
    {
        if (!isComplete())
        {
            throw new IllegalStateException("incomplete JSON: " + depth + " object(s) or array(s) still open");
        }
        return toString();
    }

    /**
     * Forget everything written, to write a new document into the same builder.
     *
     * @return this.
     */
    public JsonWriter reset()
    {
        out.setLength(startLength);
        generator = newGenerator(out);
        depth = 0;
        danglingName = false;
        hasValue = false;
        return this;
    }

    /**
     * @return the text written so far, complete or not.
     */
    @Override
    public String toString()
    {
        try
        {
            generator.flush();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
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
        new JsonWriter(sb).value(text.toString()).toString();
    }

    private JsonWriter number(final String literal)
    {
        beforeValue();
        return write(g -> g.writeNumber(literal));
    }

    /**
     * Write through Jackson and flush its buffer into the builder; Jackson refuses a call out of place (a name in an
     * array, an end that does not match) with an exception that becomes an {@link IllegalStateException}.
     */
    private JsonWriter write(final Write write)
    {
        try
        {
            write.to(generator);
            generator.flush();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex.getMessage(), ex);
        }
        return this;
    }

    /**
     * The one check Jackson's generator leaves out: it writes a second top-level value after a space.
     */
    private void beforeValue()
    {
        if (depth == 0 && hasValue)
        {
            throw new IllegalStateException("the JSON document already has its value");
        }
        if (depth == 0)
        {
            hasValue = true;
        }
        danglingName = false;
    }

    private static JsonGenerator newGenerator(final StringBuilder out)
    {
        try
        {
            return FACTORY.createGenerator(new BuilderWriter(out));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @return the text with each unpaired surrogate replaced by U+FFFD (Jackson would write it as is).
     */
    private static String sanitize(final String text)
    {
        StringBuilder sb = null;
        final int length = text.length();
        for (int i = 0; i < length; i++)
        {
            final char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(text.charAt(i + 1)))
            {
                i++;
            }
            else if (Character.isSurrogate(c))
            {
                if (sb == null)
                {
                    sb = new StringBuilder(text);
                }
                sb.setCharAt(i, '\uFFFD');
            }
        }
        return sb == null ? text : sb.toString();
    }

    /**
     * One call to the generator.
     */
    @FunctionalInterface
    private interface Write
    {
        void to(JsonGenerator generator) throws IOException;
    }

    /**
     * Jackson's standard escapes for ASCII, plus U+2028, U+2029 and U+FFFD (the mark of a replaced surrogate).
     */
    private static final class Escapes extends CharacterEscapes
    {
        private static final long serialVersionUID = 1L;
        private static final SerializedString LINE_SEPARATOR = new SerializedString("\\u2028");
        private static final SerializedString PARAGRAPH_SEPARATOR = new SerializedString("\\u2029");
        private static final SerializedString REPLACEMENT = new SerializedString("\\ufffd");

        private final int[] ascii = standardAsciiEscapesForJSON();

        @Override
        public int[] getEscapeCodesForAscii()
        {
            return ascii;
        }

        @Override
        public SerializableString getEscapeSequence(final int ch)
        {
            switch (ch)
            {
                case '\u2028':
                    return LINE_SEPARATOR;
                case '\u2029':
                    return PARAGRAPH_SEPARATOR;
                case '\uFFFD':
                    return REPLACEMENT;
                default:
                    return null;
            }
        }
    }

    /**
     * Appends to the builder; nothing to flush or close.
     */
    private static final class BuilderWriter extends Writer
    {
        private final StringBuilder out;

        BuilderWriter(final StringBuilder out)
        {
            this.out = out;
        }

        @Override
        public void write(final char[] buffer, final int offset, final int length)
        {
            out.append(buffer, offset, length);
        }

        @Override
        public void write(final String text, final int offset, final int length)
        {
            out.append(text, offset, length);
        }

        @Override
        public void flush()
        {
        }

        @Override
        public void close()
        {
        }
    }
}
