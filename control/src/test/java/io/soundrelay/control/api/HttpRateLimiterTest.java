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

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The token bucket per address, stepped with a clock of its own.
 */
class HttpRateLimiterTest
{
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void aBurstThenTheRateThenRetryAfter() throws Exception
    {
        final HttpRateLimiter limiter = new HttpRateLimiter(2, 3);
        final InetAddress a = InetAddress.getByName("127.0.0.1");
        final InetAddress b = InetAddress.getByName("127.0.0.2");
        for (int i = 0; i < 3; i++)
        {
            assertEquals(0, limiter.acquire(a, HttpRateLimiter.Reason.UNAUTHENTICATED, 0));
        }
        assertEquals(1, limiter.acquire(a, HttpRateLimiter.Reason.UNAUTHENTICATED, 0), "empty: retry in 1 s");
        assertEquals(0, limiter.acquire(b, HttpRateLimiter.Reason.UNAUTHENTICATED, 0), "another address has its own");
        assertEquals(0, limiter.acquire(a, HttpRateLimiter.Reason.AUTH_FAILED, SECOND / 2), "2/s: one after 0.5 s");
        assertEquals(1, limiter.acquire(a, HttpRateLimiter.Reason.AUTH_FAILED, SECOND / 2));
        assertEquals(1, limiter.limited(HttpRateLimiter.Reason.UNAUTHENTICATED));
        assertEquals(1, limiter.limited(HttpRateLimiter.Reason.AUTH_FAILED));
        assertEquals(0, limiter.acquire(a, HttpRateLimiter.Reason.UNAUTHENTICATED, 100 * SECOND), "refilled");
    }

    @Test
    void theTableIsBounded() throws Exception
    {
        final HttpRateLimiter limiter = new HttpRateLimiter(1, 1);
        for (int i = 0; i < HttpRateLimiter.MAX_ADDRESSES * 3; i++)
        {
            final byte[] v4 = {10, (byte)(i >>> 16), (byte)(i >>> 8), (byte)i};
            limiter.acquire(InetAddress.getByAddress(v4), HttpRateLimiter.Reason.UNAUTHENTICATED, 0);
        }
        assertTrue(limiter.addresses() <= HttpRateLimiter.MAX_ADDRESSES, "addresses: " + limiter.addresses());
    }

    @Test
    void zeroIsNoLimit() throws Exception
    {
        final InetAddress a = InetAddress.getByName("127.0.0.1");
        for (int i = 0; i < 1000; i++)
        {
            assertEquals(0, HttpRateLimiter.UNLIMITED.acquire(a, HttpRateLimiter.Reason.AUTH_FAILED, 0));
        }
    }
}
