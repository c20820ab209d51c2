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

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.BitSet;

import static io.soundrelay.tools.GeneratorOptions.MAX_PORT;
import static io.soundrelay.tools.GeneratorOptions.MAX_SOCKETS;

/**
 * The checks the tools' options share, each refusal an {@link IllegalArgumentException} {@code --name=value: why}
 * naming the option: ranges, URLs, addresses, port lists.
 */
final class OptionChecks
{
    private OptionChecks()
    {
    }

    /**
     * @param text ports and ranges separated by commas: {@code 5000}, {@code 5000-5003}, {@code 5000,5002}.
     * @return the ports in the order given.
     * @throws IllegalArgumentException saying what is wrong.
     */
    static int[] parsePorts(final String text)
    {
        final BitSet seen = new BitSet(MAX_PORT + 1);
        int[] ports = new int[8];
        int count = 0;
        for (final String part : text.split(",", -1))
        {
            final String item = part.trim();
            final int dash = item.indexOf('-');
            final int first = port(dash < 0 ? item : item.substring(0, dash));
            final int last = dash < 0 ? first : port(item.substring(dash + 1));
            if (last < first)
            {
                throw new IllegalArgumentException("range " + item + " ends before it starts");
            }
            for (int port = first; port <= last; port++)
            {
                if (seen.get(port))
                {
                    throw new IllegalArgumentException("port " + port + " given twice");
                }
                seen.set(port);
                if (count == MAX_SOCKETS)
                {
                    throw new IllegalArgumentException("more than " + MAX_SOCKETS + " ports");
                }
                if (count == ports.length)
                {
                    ports = Arrays.copyOf(ports, count * 2);
                }
                ports[count++] = port;
            }
        }
        return Arrays.copyOf(ports, count);
    }

    static IllegalArgumentException bad(final String name, final String value, final String why)
    {
        return new IllegalArgumentException("--" + name + "=" + value + ": " + why);
    }

    static long check(final String name, final long value, final long min, final long max)
    {
        if (value < min || value > max)
        {
            throw bad(name, Long.toString(value), "must be between " + min + " and " + max);
        }
        return value;
    }

    static double check(final String name, final double value, final double min, final double max)
    {
        if (!(value >= min && value <= max))
        {
            throw bad(name, number(value), "must be between " + number(min) + " and " + number(max));
        }
        return value;
    }

    static double checkPositive(final String name, final double value, final double max)
    {
        if (!(value > 0 && value <= max))
        {
            throw bad(name, number(value), "must be more than 0 and at most " + number(max));
        }
        return value;
    }

    static String number(final double value)
    {
        return value == Math.rint(value) && !Double.isInfinite(value) ? Long.toString((long)value) :
            Double.toString(value);
    }

    static int port(final String text)
    {
        final int port;
        try
        {
            port = Integer.parseInt(text.trim());
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("'" + text.trim() + "' is not a port");
        }
        if (port < 1 || port > MAX_PORT)
        {
            throw new IllegalArgumentException("port " + port + " is not 1-65535");
        }
        return port;
    }

    /**
     * @param name the option, without its dashes, that a refusal names.
     * @return the http(s) URL.
     * @throws IllegalArgumentException {@code --name=text: why}.
     */
    static URI uri(final String name, final String text)
    {
        final URI uri;
        try
        {
            uri = URI.create(text.trim());
        }
        catch (final IllegalArgumentException ex)
        {
            throw bad(name, text, "not a URL");
        }
        if ((!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) || null == uri.getHost())
        {
            throw bad(name, text, "expected http://host:port");
        }
        return uri;
    }

    static InetSocketAddress socketAddress(final String name, final String text)
    {
        try
        {
            return parseSocketAddress(text);
        }
        catch (final IllegalArgumentException ex)
        {
            throw bad(name, text, ex.getMessage());
        }
    }

    /**
     * @param name the option, without its dashes, that a refusal names.
     * @return the address to bind, resolved: a concrete one, since a route's {@code source_addr} names it.
     * @throws IllegalArgumentException {@code --name=text: why}.
     */
    static String bindHost(final String name, final String text)
    {
        final InetAddress address;
        try
        {
            address = InetAddress.getByName(text.trim());
        }
        catch (final UnknownHostException ex)
        {
            throw bad(name, text, "unknown host");
        }
        // A route's source_addr is compared with the datagram's real source: a wildcard would never match.
        if (address.isAnyLocalAddress())
        {
            throw bad(name, text, "must be a concrete address, not a wildcard");
        }
        return address.getHostAddress();
    }

    /**
     * @param text {@code host:port} or {@code [v6]:port}.
     * @return the resolved address.
     * @throws IllegalArgumentException saying what is wrong.
     */
    static InetSocketAddress parseSocketAddress(final String text)
    {
        final String trimmed = text.trim();
        final int colon = trimmed.lastIndexOf(':');
        if (colon <= 0 || colon == trimmed.length() - 1)
        {
            throw new IllegalArgumentException("expected host:port");
        }
        String host = trimmed.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]"))
        {
            host = host.substring(1, host.length() - 1);
        }
        final int port;
        try
        {
            port = Integer.parseInt(trimmed.substring(colon + 1));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("port is not a number");
        }
        if (port < 1 || port > MAX_PORT)
        {
            throw new IllegalArgumentException("port must be 1-65535");
        }
        final InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved())
        {
            throw new IllegalArgumentException("unknown host " + host);
        }
        return address;
    }
}
