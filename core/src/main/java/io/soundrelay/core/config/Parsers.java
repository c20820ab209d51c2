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
package io.soundrelay.core.config;

import io.soundrelay.core.route.Cidr;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One parser per kind of setting, each given the variable's name and its set, trimmed value; every failure is a
 * {@link ConfigurationException} with the message {@code NAME=value: why}. Empty values reach a parser only when its
 * {@link Setting} lets them (a setting that refuses them says so before).
 */
final class Parsers
{
    static final String REDACTED = "<redacted>";
    private static final int MAX_SHOWN_VALUE_LENGTH = 128;

    private Parsers()
    {
    }

    static ConfigurationException fail(final String name, final String value, final String why)
    {
        return new ConfigurationException(name + "=" + printable(value) + ": " + why);
    }

    static ConfigurationException failRedacted(final String name, final String why)
    {
        return new ConfigurationException(name + "=" + REDACTED + ": " + why);
    }

    static int intInRange(final String name, final String value, final int min, final int max)
    {
        final long parsed = parseSignedLong(value);
        if (parsed == Long.MIN_VALUE)
        {
            throw fail(name, value, "not an integer; expected " + min + "-" + max);
        }
        if (parsed < min || parsed > max)
        {
            throw fail(name, value, "outside " + min + "-" + max);
        }
        return (int)parsed;
    }

    static boolean bool(final String name, final String value)
    {
        if (value.equals("true"))
        {
            return true;
        }
        if (value.equals("false"))
        {
            return false;
        }
        throw fail(name, value, "expected true or false");
    }

    static InetAddress ipAddress(final String name, final String value)
    {
        final String host = value.startsWith("[") && value.endsWith("]") ? value.substring(1, value.length() - 1) :
            value;
        InetAddress address = null;
        try
        {
            if (host.indexOf(':') >= 0)
            {
                address = InetAddress.getByName(host); // contains ':', so an IPv6 literal: never a DNS query
            }
            else if (parseDottedQuad(host) != null)
            {
                address = InetAddress.getByAddress(parseDottedQuad(host));
            }
        }
        catch (final UnknownHostException ex)
        {
            address = null;
        }
        if (address == null)
        {
            throw fail(name, value, "expected an IP address such as 10.0.0.5 or [fd00::5], not a name");
        }
        if (address.isAnyLocalAddress() || address.isMulticastAddress())
        {
            throw fail(name, value, "a wildcard or multicast address cannot be reached by other nodes");
        }
        return address;
    }

    static InetSocketAddress socketAddress(final String name, final String value)
    {
        final String host;
        final String portText;
        if (value.startsWith("["))
        {
            final int close = value.indexOf(']');
            if (close < 0 || close + 1 >= value.length() || value.charAt(close + 1) != ':')
            {
                throw fail(name, value, "expected [v6]:port");
            }
            host = value.substring(1, close);
            portText = value.substring(close + 2);
            if (host.indexOf(':') < 0)
            {
                throw fail(name, value, "expected an IPv6 address between the brackets");
            }
        }
        else
        {
            final int colon = value.lastIndexOf(':');
            if (colon < 0 || value.indexOf(':') != colon)
            {
                throw fail(name, value, "expected ip:port or [v6]:port");
            }
            host = value.substring(0, colon);
            portText = value.substring(colon + 1);
        }
        final long port = parseLong(portText);
        if (port < 0 || port > 65535)
        {
            throw fail(name, value, "the port must be 0-65535");
        }
        return new InetSocketAddress(hostAddress(name, value, host), (int)port);
    }

    private static InetAddress hostAddress(final String name, final String value, final String host)
    {
        if (host.indexOf(':') >= 0)
        {
            try
            {
                return InetAddress.getByName(host); // contains ':', so an IPv6 literal: never a DNS query
            }
            catch (final UnknownHostException ex)
            {
                throw fail(name, value, "'" + host + "' is not an IPv6 address");
            }
        }
        final byte[] ipv4 = parseDottedQuad(host);
        if (ipv4 == null)
        {
            throw fail(name, value, "the host must be an IP address such as 0.0.0.0 or [::], not a name");
        }
        try
        {
            return InetAddress.getByAddress(ipv4);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex); // four bytes are always a valid address
        }
    }

    /**
     * @return {first, last}: {@code first-last} or one port, within 1-65535, first not above last.
     */
    static int[] portRange(final String name, final String value, final String expected)
    {
        final int dash = value.indexOf('-');
        final String firstText = (dash < 0 ? value : value.substring(0, dash)).strip();
        final String lastText = (dash < 0 ? value : value.substring(dash + 1)).strip();
        final long first = parseSignedLong(firstText);
        final long last = parseSignedLong(lastText);
        if (first == Long.MIN_VALUE || last == Long.MIN_VALUE)
        {
            throw fail(name, value, "expected " + expected);
        }
        if (first < 1 || last > 65535 || first > 65535 || last < 1)
        {
            throw fail(name, value, "ports must be within 1-65535");
        }
        if (first > last)
        {
            throw fail(name, value, "the first port is above the last");
        }
        return new int[]{ (int)first, (int)last };
    }

    static String nodeId(final String name, final String value, final int maxLength)
    {
        if (value.length() > maxLength)
        {
            throw fail(name, value, "longer than " + maxLength + " characters");
        }
        for (int i = 0; i < value.length(); i++)
        {
            if (!isNodeIdChar(value.charAt(i)))
            {
                throw fail(name, value, "only A-Z a-z 0-9 _ . - are allowed");
            }
        }
        return value;
    }

    static boolean isNodeIdChar(final char c)
    {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '_' || c == '.' || c == '-';
    }

    static List<String> apiKeys(final String name, final String value, final int minLength, final int maxLength)
    {
        final Set<String> keys = new LinkedHashSet<>();
        final String[] entries = value.split(",", -1);
        for (int i = 0; i < entries.length; i++)
        {
            final String key = entries[i].strip();
            if (key.isEmpty())
            {
                continue;
            }
            final String entry = "entry " + (i + 1) + ": ";
            if (key.length() < minLength || key.length() > maxLength)
            {
                throw failRedacted(name, entry + key.length() + " characters long; a key needs " +
                    minLength + "-" + maxLength);
            }
            for (int j = 0; j < key.length(); j++)
            {
                final char c = key.charAt(j);
                if (c <= ' ' || c >= 0x7F)
                {
                    throw failRedacted(name, entry + "only printable ASCII without spaces or commas is allowed");
                }
            }
            keys.add(key);
        }
        return List.copyOf(keys);
    }

    static List<Cidr> cidrList(final String name, final String value)
    {
        try
        {
            return Cidr.parseList(value);
        }
        catch (final IllegalArgumentException ex)
        {
            throw fail(name, value, ex.getMessage() + "; expected comma-separated ranges such as " +
                "10.0.0.0/8,fd00::/8, or empty for none");
        }
    }

    static List<Integer> cpuList(final String name, final String value, final int maxCpu)
    {
        final List<Integer> cpus = new ArrayList<>();
        for (final String entry : value.split(",", -1))
        {
            final String text = entry.strip();
            if (text.isEmpty())
            {
                continue;
            }
            final long cpu = parseLong(text);
            if (cpu < 0 || cpu > maxCpu)
            {
                throw fail(name, value, "'" + text + "' is not a CPU id 0-" + maxCpu);
            }
            if (cpus.contains((int)cpu))
            {
                throw fail(name, value, "CPU " + cpu + " is listed twice");
            }
            cpus.add((int)cpu);
        }
        return Collections.unmodifiableList(cpus);
    }

    /**
     * A value as it can be shown in one log line: control characters escaped, long values cut.
     */
    static String printable(final String value)
    {
        final StringBuilder sb = new StringBuilder(Math.min(value.length(), MAX_SHOWN_VALUE_LENGTH) + 8);
        for (int i = 0; i < value.length(); i++)
        {
            if (sb.length() >= MAX_SHOWN_VALUE_LENGTH)
            {
                return sb.append("...").toString();
            }
            final char c = value.charAt(i);
            if (c < 0x20 || c == 0x7F)
            {
                sb.append(String.format("\\x%02x", (int)c));
            }
            else
            {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /**
     * @return the value of 1-10 ASCII digits, or -1 when the text is anything else.
     */
    static long parseLong(final String text)
    {
        if (text.isEmpty() || text.length() > 10)
        {
            return -1;
        }
        long value = 0;
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (c < '0' || c > '9')
            {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }

    /**
     * @return the value of an optional '-' and ASCII digits, clamped to +/-10^12 so a range check still
     * fails for a huge number, or {@link Long#MIN_VALUE} when the text is not an integer.
     */
    static long parseSignedLong(final String text)
    {
        final boolean negative = text.startsWith("-");
        final String digits = negative ? text.substring(1) : text;
        if (digits.isEmpty())
        {
            return Long.MIN_VALUE;
        }
        long value = 0;
        for (int i = 0; i < digits.length(); i++)
        {
            final char c = digits.charAt(i);
            if (c < '0' || c > '9')
            {
                return Long.MIN_VALUE;
            }
            value = Math.min(value * 10 + (c - '0'), 1_000_000_000_000L);
        }
        return negative ? -value : value;
    }

    static byte[] parseDottedQuad(final String host)
    {
        final String[] parts = host.split("\\.", -1);
        if (parts.length != 4)
        {
            return null;
        }
        final byte[] address = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            final String part = parts[i];
            final long octet = parseLong(part);
            if (octet < 0 || octet > 255 || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0'))
            {
                return null;
            }
            address[i] = (byte)octet;
        }
        return address;
    }
}
