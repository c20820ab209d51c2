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
import com.fasterxml.jackson.core.JsonToken;
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
    private static final String[] LITERALS = { "true", "false", "null" };

    private JsonErrors()
    {
    }

    /**
     * @param text   the whole text.
     * @param ex     what Jackson refused.
     * @param parser  the parser that refused it, for the string at fault and the key being read.
     * @param lastEnd where the last whole token ended: the token at fault starts after whitespace and a separator.
     * @return the error as this API words it.
     */
    static JsonException translate(
        final String text, final JsonProcessingException ex, final JsonParser parser, final int lastEnd)
    {
        final int start = tokenStart(text, lastEnd);
        final String message = ex.getOriginalMessage() == null ? "" : ex.getOriginalMessage();
        final JsonLocation location = ex.getLocation();
        final int at = location == null ? 0 : (int)Math.min(Math.max(location.getCharOffset(), 0), text.length());
        if (ex instanceof JsonEOFException)
        {
            // A string is read when asked for its text, so the token at fault is the string itself.
            return endOfText(text, message, message.contains("field name") ? nextStart(text, lastEnd) :
                (int)Math.max(parser.currentTokenLocation().getCharOffset(), 0), parser);
        }
        if (message.contains("in numeric value"))
        {
            return number(text, message, start);
        }
        if (message.contains("Expected space separating root-level values"))
        {
            return trailing(text, at);
        }
        if (message.contains("Leading zeroes"))
        {
            return new JsonException("number with a leading zero", start);
        }
        if (message.startsWith("Non-standard token") || message.startsWith("Unrecognized token"))
        {
            return literal(text, message, start, parser);
        }
        if (message.startsWith("Illegal character"))
        {
            return unexpected(text, Math.max(at - 1, 0), parser); // Jackson counts past the character
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
        return unexpected(text, at, parser);
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
        if (!hasSurrogate(value))
        {
            return value;
        }
        int offset = quoteOffset + 1; // walks the text as i walks the decoded string
        for (int i = 0; i < value.length(); i++)
        {
            final char c = value.charAt(i);
            final boolean escaped = text.charAt(offset) == '\\';
            final int width = escaped ? (text.charAt(offset + 1) == 'u' ? 6 : 2) : 1;
            if (Character.isHighSurrogate(c) && i + 1 < value.length() &&
                Character.isLowSurrogate(value.charAt(i + 1)) && (text.charAt(offset + width) == '\\') == escaped)
            {
                // A pair is two escapes or two characters of text, never one of each.
                i++;
                offset += 2 * width;
            }
            else if (Character.isSurrogate(c))
            {
                throw new JsonException("unpaired surrogate " + (escaped ? "\\u" : "U+") + hex4(c) + " in a string",
                    offset);
            }
            else
            {
                offset += width;
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

    private static JsonException endOfText(
        final String text, final String message, final int token, final JsonParser parser)
    {
        final int end = text.length();
        if (message.contains("closing quote") || message.contains("field name"))
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
        if (parser.currentToken() == JsonToken.FIELD_NAME && lastNonWhitespace(text) != ':')
        {
            final String key = String.valueOf(parser.getParsingContext().getCurrentName());
            return new JsonException("unexpected end of text, expected ':' after key " + echo(key), end);
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

    private static JsonException number(final String text, final String message, final int start)
    {
        if (message.contains("Decimal point"))
        {
            final int i = text.indexOf('.', start) + 1;
            return new JsonException("unexpected " + describe(text, i) + ", expected a digit after '.'", i);
        }
        if (message.contains("Exponent"))
        {
            int i = start;
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
            final int i = start + 1;
            if (i < text.length() && text.charAt(i) == 'I')
            {
                return new JsonException("Infinity is not a JSON value", i);
            }
            return new JsonException("unexpected " + describe(text, i) + ", expected a digit", i);
        }
        return new JsonException("unexpected " + describe(text, start) + ", expected a JSON value", start);
    }

    /**
     * A word that is not {@code true}, {@code false} or {@code null}: Jackson names it whole; this API has always
     * pointed at NaN and Infinity by name, and at the first character after a literal that has more after it.
     */
    private static JsonException literal(
        final String text, final String message, final int start, final JsonParser parser)
    {
        final JsonException notANumber = notANumber(text, start);
        if (notANumber != null)
        {
            return notANumber;
        }
        for (final String valid : LITERALS)
        {
            if (text.startsWith(valid, start))
            {
                final int after = start + valid.length();
                final JsonStreamContext context = parser.getParsingContext();
                if (context.inRoot())
                {
                    return trailing(text, after);
                }
                return new JsonException("unexpected " + describe(text, after) + ", expected " +
                    (context.inArray() ? "',' or ']' in an array" : "',' or '}' in an object"), after);
            }
        }
        return new JsonException("unexpected " + describe(text, start) + ", expected a JSON value", start);
    }

    /**
     * A character where another was expected: what was expected follows from where the parser is, as this API has
     * always said it (a key after '{' or ',' in an object, a value after '[', ',' in an array or ':').
     */
    private static JsonException unexpected(final String text, final int at, final JsonParser parser)
    {
        if (at > 0 && text.charAt(at - 1) == '-')
        {
            return new JsonException("unexpected " + describe(text, at) + ", expected a digit", at);
        }
        final JsonStreamContext context = parser.getParsingContext();
        final char before = lastNonWhitespace(text, at);
        final String expected;
        if (context.inRoot())
        {
            if (before != 0)
            {
                return trailing(text, at);
            }
            expected = "a JSON value";
        }
        else if (context.inObject())
        {
            if (before == '{' || before == ',')
            {
                expected = "a \"key\" in double quotes";
            }
            else if (before == ':')
            {
                expected = "a JSON value";
            }
            else if (parser.currentToken() == JsonToken.FIELD_NAME)
            {
                expected = "':' after key " + echo(String.valueOf(context.getCurrentName()));
            }
            else
            {
                expected = "',' or '}' in an object";
            }
        }
        else
        {
            expected = before == '[' || before == ',' ? "a JSON value" : "',' or ']' in an array";
        }
        final JsonException notANumber = notANumber(text, at);
        if (notANumber != null && expected.equals("a JSON value"))
        {
            return notANumber;
        }
        return new JsonException("unexpected " + describe(text, at) + ", expected " + expected, at);
    }

    /**
     * @return where the token after one that ended at {@code lastEnd} starts: past whitespace, a ',', a key and
     * its ':', whitespace again. Only for numbers and words: where a key itself is at fault Jackson says where.
     */
    private static int tokenStart(final String text, final int lastEnd)
    {
        int i = nextStart(text, lastEnd);
        if (i < text.length() && text.charAt(i) == '"')
        {
            // Jackson reads a key, its ':' and the value's first token in one step: the fault is in the value.
            i++;
            while (i < text.length() && text.charAt(i) != '"')
            {
                i += text.charAt(i) == '\\' ? 2 : 1;
            }
            i = skipWhitespace(text, i + 1);
        }
        return i < text.length() && text.charAt(i) == ':' ? skipWhitespace(text, i + 1) : i;
    }

    /**
     * @return where the token after one that ended at {@code lastEnd} starts, past whitespace and a ','.
     */
    private static int nextStart(final String text, final int lastEnd)
    {
        final int i = skipWhitespace(text, Math.max(lastEnd, 0));
        return i < text.length() && text.charAt(i) == ',' ? skipWhitespace(text, i + 1) : i;
    }

    /**
     * @return the error for a value that starts as NaN or Infinity would, as this API has always named them; null
     * for any other.
     */
    private static JsonException notANumber(final String text, final int start)
    {
        if (text.startsWith("N", start))
        {
            return new JsonException("NaN is not a JSON value", start);
        }
        if (text.startsWith("I", start) || text.startsWith("-I", start))
        {
            return new JsonException("Infinity is not a JSON value", text.charAt(start) == '-' ? start + 1 : start);
        }
        return null;
    }

    private static boolean hasSurrogate(final String value)
    {
        for (int i = 0; i < value.length(); i++)
        {
            if (Character.isSurrogate(value.charAt(i)))
            {
                return true;
            }
        }
        return false;
    }

    private static char lastNonWhitespace(final String text)
    {
        return lastNonWhitespace(text, text.length());
    }

    /**
     * @return the last character before {@code end} that is not JSON whitespace, or 0 when there is none.
     */
    private static char lastNonWhitespace(final String text, final int end)
    {
        for (int i = Math.min(end, text.length()) - 1; i >= 0; i--)
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
