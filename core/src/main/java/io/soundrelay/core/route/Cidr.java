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
package io.soundrelay.core.route;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * An address range, {@code a.b.c.d/len} or {@code v6::/len} (a bare address is its own /32 or /128). IPv4 ranges
 * match IPv4 addresses only and IPv6 ranges IPv6 only. Immutable.
 */
public final class Cidr
{
    private final byte[] network;
    private final int prefixLength;
    private final String text;

    private Cidr(final byte[] network, final int prefixLength, final String text)
    {
        this.network = network;
        this.prefixLength = prefixLength;
        this.text = text;
    }

    /**
     * @param text {@code a.b.c.d/len}, {@code v6/len} or a bare address; never a host name.
     * @return the range.
     * @throws IllegalArgumentException naming what is wrong.
     */
    public static Cidr parse(final String text)
    {
        final String trimmed = text.trim();
        final int slash = trimmed.indexOf('/');
        final String host = slash < 0 ? trimmed : trimmed.substring(0, slash);
        final byte[] raw = literal(host);
        if (raw == null)
        {
            throw new IllegalArgumentException("'" + trimmed + "' is not an address range such as 10.0.0.0/8 or " +
                "fd00::/8");
        }
        final int max = raw.length * 8;
        int length = max;
        if (slash >= 0)
        {
            try
            {
                length = Integer.parseInt(trimmed.substring(slash + 1));
            }
            catch (final NumberFormatException ex)
            {
                length = -1;
            }
            if (length < 0 || length > max)
            {
                throw new IllegalArgumentException("'" + trimmed + "': the prefix length must be 0-" + max);
            }
        }
        final byte[] network = raw.clone();
        for (int bit = length; bit < max; bit++)
        {
            network[bit >>> 3] &= (byte)~(0x80 >>> (bit & 7));
        }
        return new Cidr(network, length, trimmed);
    }

    /**
     * @param text comma-separated ranges; empty or blank for none.
     * @return the ranges.
     * @throws IllegalArgumentException naming the first bad one.
     */
    public static List<Cidr> parseList(final String text)
    {
        final List<Cidr> ranges = new ArrayList<>();
        for (final String part : text.split(","))
        {
            if (!part.isBlank())
            {
                ranges.add(parse(part));
            }
        }
        return List.copyOf(ranges);
    }

    private static byte[] literal(final String host)
    {
        if (host.indexOf(':') >= 0)
        {
            try
            {
                final InetAddress a = InetAddress.getByName(host); // a ':' makes it a literal: never a DNS query
                return a instanceof Inet4Address ? null : a.getAddress();
            }
            catch (final UnknownHostException | SecurityException ex)
            {
                return null;
            }
        }
        final String[] parts = host.split("\\.", -1);
        if (parts.length != 4)
        {
            return null;
        }
        final byte[] out = new byte[4];
        for (int i = 0; i < 4; i++)
        {
            if (parts[i].isEmpty() || parts[i].length() > 3 || !parts[i].chars().allMatch(Character::isDigit))
            {
                return null;
            }
            final int v = Integer.parseInt(parts[i]);
            if (v > 255)
            {
                return null;
            }
            out[i] = (byte)v;
        }
        return out;
    }

    /**
     * @param address an address.
     * @return true when it lies in this range.
     */
    public boolean contains(final InetAddress address)
    {
        final byte[] a = address.getAddress();
        if (a.length != network.length)
        {
            return false;
        }
        for (int bit = 0; bit < prefixLength; bit++)
        {
            final int mask = 0x80 >>> (bit & 7);
            if ((a[bit >>> 3] & mask) != (network[bit >>> 3] & mask))
            {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString()
    {
        return text;
    }
}
