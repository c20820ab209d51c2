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
package io.soundrelay.control.api;

import io.soundrelay.core.route.Addresses;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Failed API authentications, logged at WARN with the client's address: at most one line per address per
 * {@link #WINDOW_S} seconds, carrying the count of failures in that window. The first failure from an address opens
 * its window; the line is written when the window is over ({@link #flush}, once a second). At most
 * {@link #MAX_ADDRESSES} addresses are followed at once: failures from others are counted together on one line, so a
 * client rotating its source address can neither grow the map without bound nor flood the log (at most
 * {@code MAX_ADDRESSES + 1} lines per window). Never the key that was tried.
 */
public final class AuthFailureLog
{
    static final long WINDOW_S = 10;
    static final int MAX_ADDRESSES = 32;

    private static final Logger LOG = LoggerFactory.getLogger(AuthFailureLog.class);
    private static final long WINDOW_NS = TimeUnit.SECONDS.toNanos(WINDOW_S);

    /** By address: the window's start and its failures so far. */
    private final Map<InetAddress, long[]> windows = new HashMap<>();
    private long othersStartNs;
    private long others;

    /**
     * Count a failure.
     *
     * @param address the client's address, or null when unknown.
     * @param nowNs   now.
     */
    synchronized void failed(final InetAddress address, final long nowNs)
    {
        final long[] window = address == null ? null : windows.get(address);
        if (window != null)
        {
            window[1]++;
        }
        else if (address != null && windows.size() < MAX_ADDRESSES)
        {
            windows.put(address, new long[] {nowNs, 1});
        }
        else
        {
            if (others == 0)
            {
                othersStartNs = nowNs;
            }
            others++;
        }
    }

    /**
     * Write the line of every window that is over, and forget it.
     *
     * @param nowNs now.
     */
    public synchronized void flush(final long nowNs)
    {
        final Iterator<Map.Entry<InetAddress, long[]>> it = windows.entrySet().iterator();
        while (it.hasNext())
        {
            final Map.Entry<InetAddress, long[]> e = it.next();
            if (nowNs - e.getValue()[0] >= WINDOW_NS)
            {
                LOG.warn("{} failed API authentication(s) from {} within {} s: missing or invalid API key " +
                    "(401, or 429 once its rate is spent)", e.getValue()[1], Addresses.text(e.getKey()), WINDOW_S);
                it.remove();
            }
        }
        if (others > 0 && nowNs - othersStartNs >= WINDOW_NS)
        {
            LOG.warn("{} failed API authentication(s) within {} s from addresses beyond the {} followed one by one " +
                "(or of unknown address): missing or invalid API key", others, WINDOW_S, MAX_ADDRESSES);
            others = 0;
        }
    }

    /**
     * @return addresses followed now (for tests).
     */
    synchronized int followed()
    {
        return windows.size();
    }
}
