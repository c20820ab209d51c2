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

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * A JSON number kept as its literal text, so that no value is rounded before the reader decides what it wants:
 * an unsigned 64-bit id up to 18446744073709551615 survives intact, where a {@code double} would not.
 */
public final class JsonNumber
{
    private static final BigInteger UNSIGNED_LONG_MAX = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);

    private final String text;
    private final boolean integral;

    JsonNumber(final String text, final boolean integral)
    {
        this.text = text;
        this.integral = integral;
    }

    /**
     * @param literal a JSON number literal such as {@code -12}, {@code 0.5} or {@code 1e3}.
     * @return the number.
     * @throws JsonException when the literal is not a JSON number.
     */
    public static JsonNumber of(final String literal)
    {
        final Object value = Json.parse(literal);
        if (!(value instanceof JsonNumber))
        {
            throw new JsonException("not a JSON number", 0);
        }
        return (JsonNumber)value;
    }

    /**
     * @param value any long.
     * @return the number, written as {@link Long#toString(long)} writes it.
     */
    public static JsonNumber of(final long value)
    {
        return new JsonNumber(Long.toString(value), true);
    }

    /**
     * @return the literal exactly as it appeared in the JSON text.
     */
    public String text()
    {
        return text;
    }

    /**
     * @return true when the literal has neither fraction nor exponent, e.g. {@code 42} but not {@code 42.0}.
     */
    public boolean isIntegral()
    {
        return integral;
    }

    /**
     * @return true when the literal starts with a minus sign ({@code -0} included).
     */
    public boolean isNegative()
    {
        return text.charAt(0) == '-';
    }

    /**
     * @return the exact integer value.
     * @throws ArithmeticException when the literal is not {@link #isIntegral() integral}.
     */
    public BigInteger bigIntegerValue()
    {
        if (!integral)
        {
            throw new ArithmeticException(text + " is not an integer");
        }
        return new BigInteger(text);
    }

    /**
     * @return the exact decimal value.
     */
    public BigDecimal bigDecimalValue()
    {
        return new BigDecimal(text);
    }

    /**
     * @return the nearest double; may be infinite for a huge literal.
     */
    public double doubleValue()
    {
        return Double.parseDouble(text);
    }

    /**
     * @return the value as a long.
     * @throws ArithmeticException when not integral or outside the range of a long.
     */
    public long longValueExact()
    {
        if (integral && text.length() <= 18)
        {
            return Long.parseLong(text);
        }
        return bigIntegerValue().longValueExact();
    }

    /**
     * @return the value as an int.
     * @throws ArithmeticException when not integral or outside the range of an int.
     */
    public int intValueExact()
    {
        return Math.toIntExact(longValueExact());
    }

    /**
     * @return the value 0 to 2^64-1 as the bits of a long, to be read with {@link Long#toUnsignedString(long)}.
     * @throws ArithmeticException when not integral, negative or above 2^64-1.
     */
    public long unsignedLongValueExact()
    {
        final BigInteger value = bigIntegerValue();
        if (value.signum() < 0 || value.compareTo(UNSIGNED_LONG_MAX) > 0)
        {
            throw new ArithmeticException(text + " is outside 0-" + UNSIGNED_LONG_MAX);
        }
        return value.longValue();
    }

    public boolean equals(final Object o)
    {
        return this == o || (o instanceof JsonNumber && text.equals(((JsonNumber)o).text));
    }

    public int hashCode()
    {
        return text.hashCode();
    }

    /**
     * @return the literal text.
     */
    public String toString()
    {
        return text;
    }
}
