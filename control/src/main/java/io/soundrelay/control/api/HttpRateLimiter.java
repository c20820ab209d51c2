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

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A token bucket per client address for the requests that carry no valid API key: {@code /health} and
 * {@code /metrics} without a key, and every failed authentication (UNAUTH_RATE_PER_SECOND, UNAUTH_RATE_BURST).
 * A request with a valid key never spends from it.
 * <p>
 * The table is bounded ({@link #MAX_ADDRESSES}, least recently seen evicted first), so a flood from many addresses
 * costs a fixed amount of memory; an evicted address starts again with a full bucket. One lock guards it: it is taken
 * on the API's two IO threads for a few hundred nanoseconds per request, never on the hot path.
 */
public final class HttpRateLimiter
{
    /** Client addresses remembered at once. */
    public static final int MAX_ADDRESSES = 4096;

    /** Why a request was refused with 429: the {@code reason} label of {@code relay_http_rate_limited_total}. */
    public enum Reason
    {
        /** {@code /health} or {@code /metrics} without a valid key, or the metrics listener. */
        UNAUTHENTICATED("unauthenticated"),
        /** A request to an authenticated endpoint with a missing or wrong key. */
        AUTH_FAILED("auth_failed");

        private final String label;

        Reason(final String label)
        {
            this.label = label;
        }

        /**
         * @return the metric label.
         */
        public String label()
        {
            return label;
        }

        /**
         * @param label a metric label.
         * @return the reason with that label.
         */
        public static Reason ofLabel(final String label)
        {
            for (final Reason reason : values())
            {
                if (reason.label.equals(label))
                {
                    return reason;
                }
            }
            throw new IllegalArgumentException(label);
        }
    }

    /**
     * @return every reason's label.
     */
    public static List<String> labels()
    {
        final List<String> labels = new ArrayList<>();
        for (final Reason reason : Reason.values())
        {
            labels.add(reason.label());
        }
        return List.copyOf(labels);
    }

    /** The limit turned off: every request passes. */
    public static final HttpRateLimiter UNLIMITED = new HttpRateLimiter(0, 1);

    private static final class Bucket
    {
        double tokens;
        long lastNs;
    }

    private final double ratePerNs;
    private final int ratePerSecond;
    private final int burst;
    private final LongAdder[] limited = new LongAdder[Reason.values().length];
    private final Map<InetAddress, Bucket> buckets = new LinkedHashMap<>(MAX_ADDRESSES * 2, 0.75f, true)
    {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(final Map.Entry<InetAddress, Bucket> eldest)
        {
            return size() > MAX_ADDRESSES;
        }
    };

    /**
     * @param ratePerSecond tokens added per second; 0 for no limit.
     * @param burst         bucket size, at least 1.
     */
    public HttpRateLimiter(final int ratePerSecond, final int burst)
    {
        if (ratePerSecond < 0 || burst < 1)
        {
            throw new IllegalArgumentException("rate " + ratePerSecond + "/s, burst " + burst);
        }
        this.ratePerSecond = ratePerSecond;
        this.ratePerNs = ratePerSecond / (double)TimeUnit.SECONDS.toNanos(1);
        this.burst = burst;
        for (int i = 0; i < limited.length; i++)
        {
            limited[i] = new LongAdder();
        }
    }

    /**
     * Spend one token of the address's bucket.
     *
     * @param address the client's address.
     * @param reason  what kind of request, counted when it is refused.
     * @param nowNs   {@link System#nanoTime()}.
     * @return 0 when the request may go on, else the whole seconds after which a token will be there (Retry-After).
     */
    public long acquire(final InetAddress address, final Reason reason, final long nowNs)
    {
        if (ratePerSecond == 0 || address == null)
        {
            return 0;
        }
        final double missing;
        synchronized (buckets)
        {
            Bucket bucket = buckets.get(address);
            if (bucket == null)
            {
                bucket = new Bucket();
                bucket.tokens = burst;
                bucket.lastNs = nowNs;
                buckets.put(address, bucket);
            }
            bucket.tokens = Math.min(burst, bucket.tokens + Math.max(0, nowNs - bucket.lastNs) * ratePerNs);
            bucket.lastNs = nowNs;
            if (bucket.tokens >= 1)
            {
                bucket.tokens -= 1;
                return 0;
            }
            missing = 1 - bucket.tokens;
        }
        limited[reason.ordinal()].increment();
        return Math.max(1, (long)Math.ceil(missing / ratePerSecond));
    }

    /**
     * @param reason why.
     * @return requests refused with 429 for that reason so far.
     */
    public long limited(final Reason reason)
    {
        return limited[reason.ordinal()].sum();
    }

    /**
     * @return addresses in the table now (at most {@link #MAX_ADDRESSES}).
     */
    public int addresses()
    {
        synchronized (buckets)
        {
            return buckets.size();
        }
    }
}
