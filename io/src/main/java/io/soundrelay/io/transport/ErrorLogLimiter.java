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
package io.soundrelay.io.transport;

/**
 * Lets one error line through per interval and counts the errors it holds back, so a flood of socket errors (ICMP
 * port unreachable from a dead target, say) cannot flood the log. Single thread: the owner's.
 */
public final class ErrorLogLimiter
{
    /** {@link #onError(long)}: do not log this one. */
    public static final long QUIET = -1;

    private final long intervalNs;
    private boolean loggedBefore;
    private long lastLogNs;
    private long suppressed;

    /**
     * @param intervalNs least time between two lines.
     */
    public ErrorLogLimiter(final long intervalNs)
    {
        this.intervalNs = intervalNs;
    }

    /**
     * Account for one error.
     *
     * @param nowNs {@link System#nanoTime()}: any origin, negative included, so the first error is never judged
     *              against a made-up previous one.
     * @return {@link #QUIET} when this error must not be logged; otherwise how many were held back since the
     * last line, to be logged with this one.
     */
    public long onError(final long nowNs)
    {
        if (loggedBefore && nowNs - lastLogNs < intervalNs)
        {
            suppressed++;
            return QUIET;
        }
        loggedBefore = true;
        lastLogNs = nowNs;
        final long heldBack = suppressed;
        suppressed = 0;
        return heldBack;
    }
}
