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

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.io.JsonEOFException;

/**
 * Words the faults Jackson's parser finds as the control API has always worded them (PROTOCOL.md: a 400 names what
 * is wrong and where): "unexpected 'x', expected ..." at the character offset of the fault. Jackson decides what
 * is valid; this class only picks the wording and the offset from its exception and the text. It also holds the
 * one rule Jackson leaves to the caller: a string must not carry an unpaired surrogate.
 */
final class JsonErrors
{
    private static final int MAX_ECHO_LENGTH = 32;

    private JsonErrors()
    {
    }

    /**
     * @param text   the whole text.
     * @param ex     what Jackson refused.
     * @param parser the parser that refused it, for the start of the token at fault and the key being read.
     * @return the error as this API words it.
     */
    static JsonException translate(final String text, final JsonProcessingException ex, final JsonParser parser)
    {
        final String message = ex.getOriginalMessage() == null ? "" : ex.getOriginalMessage();
        final JsonLocation location = ex.getLocation();
        final int at = location == null ? 0 : (int)Math.min(Math.max(location.getCharOffset(), 0), text.length());
        final int token = (int)Math.max(parser.currentTokenLocation().getCharOffset(), 0);
        if (ex instanceof JsonEOFException)
        {
            return endOfText(text, message, token);
        }
        if (message.contains("in numeric value"))
        {
            return number(text, message, token);
        }
        if (message.contains("Expected space separating root-level values"))
        {
            return trailing(text, at);
        }
        if (message.contains("Leading zeroes"))
        {
            return new JsonException("number with a leading zero", token);
        }
        if (message.startsWith("Non-standard token") || message.startsWith("Unrecognized token"))
        {
            return literal(text, message, token, at);
        }
        if (message.startsWith("Illegal unquoted character"))
        {
            return new JsonException(
                "control character U+" + hex4(text.charAt(at)) + " in a string must be escaped", at);
        }
        if (message.startsWith("Unrecognized character escape"))
        {
            return new JsonException("invalid escape \\" + describe(text, at) + " in a string", Math.max(at - 1, 0));
        }
        if (message.contains("hex-digit for character escape"))
        {
            return new JsonException("\\u escape needs four hex digits", Math.max(text.lastIndexOf("\\u", at - 1), 0));
        }
        return unexpected(text, message, at, parser);
    }

    /**
     * @param text   the whole text.
     * @param offset where the first character after the value is.
     * @return the error for text after the one JSON value.
     */
    static JsonException trailing(final String text, final int offset)
    {
        return new JsonException("unexpected " + describe(text, offset) + " after the JSON value", offset);
    }

    /**
     * @param text   the whole text.
     * @param offset where to start.
     * @return the offset of the first character from {@code offset} on that is not JSON whitespace.
     */
    static int skipWhitespace(final String text, final int offset)
    {
        int i = offset;
        while (i < text.length() && isWhitespace(text.charAt(i)))
        {
            i++;
        }
        return i;
    }

    /**
     * Refuse a string with an unpaired surrogate: Jackson decodes one from text or from a {@code \\u} escape as is.
     *
     * @param text        the whole text.
     * @param quoteOffset where the string's opening quote is.
     * @param value       the decoded string.
     * @return the string.
     * @throws JsonException naming the surrogate and where it is in the text.
     */
    static String checkSurrogates(final String text, final int quoteOffset, final String value)
    {
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1)))
            {
                i++;
            }
            else if (Character.isSurrogate(c))
            {
                final int offset = rawOffset(text, quoteOffset, i);
                final boolean escaped = offset < text.length() && text.charAt(offset) == '\\';
                throw new JsonException("unpaired surrogate " + (escaped ? "\\u" : "U+") + hex4(c) + " in a string",
                    offset);
            }
        }
        return value;
    }

    /**
     * @param key a key as decoded.
     * @return the key quoted for a message, cut to 32 characters.
     */
    static String echo(final String key)
    {
        final String shown = key.length() > MAX_ECHO_LENGTH ? key.substring(0, MAX_ECHO_LENGTH) + "..." : key;
        return JsonWriter.quote(shown);
    }

    private static JsonException endOfText(final String text, final String message, final int token)
    {
        final int end = text.length();
        if (message.contains("closing quote"))
        {
            return new JsonException("unterminated string", token);
        }
        if (message.contains("escape sequence"))
        {
            final int escape = Math.max(text.lastIndexOf('\\'), 0);
            return new JsonException(escape == end - 1 ? "unterminated escape" : "\\u escape needs four hex digits",
                escape);
        }
        if (message.contains("exponent"))
        {
            return new JsonException("unexpected end of text, expected a digit in the exponent", end);
        }
        if (message.contains("sign"))
        {
            return new JsonException("unexpected end of text, expected a digit", end);
        }
        final char last = lastNonWhitespace(text);
        if (message.contains("close marker for Array") && last != '[' && last != ',')
        {
            return new JsonException("unexpected end of text, expected ',' or ']' in an array", end);
        }
        if (message.contains("close marker for Object") && (last == '{' || last == ','))
        {
            return new JsonException("unexpected end of text, expected a \"key\" in double quotes", end);
        }
        if (message.contains("close marker for Object") && last != ':')
        {
            return new JsonException("unexpected end of text, expected ',' or '}' in an object", end);
        }
        return new JsonException("unexpected end of text, expected a JSON value", end);
    }

    private static JsonException number(final String text, final String message, final int token)
    {
        int i = token;
        if (message.contains("Decimal point"))
        {
            i = text.indexOf('.', token) + 1;
            return new JsonException("unexpected " + describe(text, i) + ", expected a digit after '.'", i);
        }
        if (message.contains("Exponent"))
        {
            while (i < text.length() && text.charAt(i) != 'e' && text.charAt(i) != 'E')
            {
                i++;
            }
            i++;
            if (i < text.length() && (text.charAt(i) == '+' || text.charAt(i) == '-'))
            {
                i++;
            }
            return new JsonException("unexpected " + describe(text, i) + ", expected a digit in the exponent", i);
        }
        if (message.contains("minus sign"))
        {
            i = token + 1;
            if (i < text.length() && text.charAt(i) == 'I')
            {
                return new JsonException("Infinity is not a JSON value", i);
            }
            return new JsonException("unexpected " + describe(text, i) + ", expected a digit", i);
        }
        return new JsonException("unexpected " + describe(text, token) + ", expected a JSON value", token);
    }

    private static JsonException literal(final String text, final String message, final int token, final int at)
    {
        final int start = Math.min(token, at);
        if (message.contains("'NaN'"))
        {
            return new JsonException("NaN is not a JSON value", start);
        }
        if (message.contains("Infinity") || message.contains("'-Inf"))
        {
            return new JsonException("Infinity is not a JSON value", Math.max(text.indexOf('I', start), 0));
        }
        return new JsonException("unexpected " + describe(text, start) + ", expected a JSON value", start);
    }

    private static JsonException unexpected(
        final String text, final String message, final int at, final JsonParser parser)
    {
        final String expected;
        if (message.contains("double-quote to start field name"))
        {
            expected = "a \"key\" in double quotes";
        }
        else if (message.contains("colon to separate"))
        {
            final String key = parser.getParsingContext().getCurrentName();
            expected = "':' after key " + echo(key == null ? "" : key);
        }
        else if (message.contains("separate Array entries"))
        {
            expected = "',' or ']' in an array";
        }
        else if (message.contains("separate Object entries"))
        {
            expected = "',' or '}' in an object";
        }
        else if (message.startsWith("Unexpected close marker"))
        {
            final JsonStreamContext context = parser.getParsingContext();
            if (context.inRoot())
            {
                return trailing(text, at);
            }
            expected = context.inArray() ? "',' or ']' in an array" : "',' or '}' in an object";
        }
        else
        {
            expected = "a JSON value";
        }
        return new JsonException("unexpected " + describe(text, at) + ", expected " + expected, at);
    }

    private static int rawOffset(final String text, final int quoteOffset, final int decodedIndex)
    {
        int offset = quoteOffset + 1;
        for (int i = 0; i < decodedIndex && offset < text.length(); i++)
        {
            if (text.charAt(offset) != '\\')
            {
                offset++;
            }
            else
            {
                offset += offset + 1 < text.length() && text.charAt(offset + 1) == 'u' ? 6 : 2;
            }
        }
        return offset;
    }

    private static char lastNonWhitespace(final String text)
    {
        for (int i = text.length() - 1; i >= 0; i--)
        {
            if (!isWhitespace(text.charAt(i)))
            {
                return text.charAt(i);
            }
        }
        return 0;
    }

    private static boolean isWhitespace(final char c)
    {
        return c == ' ' || c == '\n' || c == '\r' || c == '\t';
    }

    private static String describe(final String text, final int offset)
    {
        if (offset < 0 || offset >= text.length())
        {
            return "end of text";
        }
        final char c = text.charAt(offset);
        return c > 0x20 && c < 0x7F ? "'" + c + "'" : "U+" + hex4(c);
    }

    private static String hex4(final char c)
    {
        final String hex = Integer.toHexString(c).toUpperCase();
        return "0000".substring(hex.length()) + hex;
    }
}
