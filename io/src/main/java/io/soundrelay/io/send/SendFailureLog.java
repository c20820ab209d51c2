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
package io.soundrelay.io.send;

import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.SendTally;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.ErrorLogLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * One log line per interval for the sends the kernel refuses, naming the destination and why, with the count held
 * back since the line before: a target that keeps failing (a broadcast address, an unreachable network) is seen
 * in the log without flooding it. Every failure is counted as {@code send_failed} all the same. Sender thread only.
 */
final class SendFailureLog
{
    private static final Logger LOG = LoggerFactory.getLogger(SendFailureLog.class);
    private static final long INTERVAL_NS = TimeUnit.SECONDS.toNanos(10);

    private final ErrorLogLimiter limiter = new ErrorLogLimiter(INTERVAL_NS);

    /**
     * @param target where the datagram was to go.
     * @param why    the kernel's answer, for a person.
     */
    void failed(final Endpoint target, final String why)
    {
        final long heldBack = limiter.onError(System.nanoTime());
        if (heldBack != ErrorLogLimiter.QUIET)
        {
            LOG.warn("send to {} failed: {} (counted as send_failed; {} more failed send(s) since the last line)",
                target, why, heldBack);
        }
    }

    /**
     * Refuse a datagram an IPv4 socket cannot send (an IPv6 target): counted as {@code send_failed} and logged.
     *
     * @return true when it was refused, and the caller must not send it.
     */
    boolean refusedFamily(
        final RelaySocket from, final Endpoint target, final SendTally tally, final RelayCounters counters)
    {
        if (from.isIpv6() || target.isIpv4())
        {
            return false;
        }
        counters.addError(ErrorReason.SEND_FAILED, 1);
        tally.onSendFailed();
        failed(target, "an IPv6 target on an IPv4 relay socket");
        return true;
    }

    /**
     * @param errno a positive Linux errno.
     * @return its name and meaning.
     */
    static String errno(final int errno)
    {
        switch (errno)
        {
            case 1: return "EPERM, operation not permitted (a firewall rule?)";
            case 11: return "EAGAIN, the socket's send buffer is full";
            case 13: return "EACCES, permission denied (a broadcast address?)";
            case 22: return "EINVAL, invalid argument";
            case 90: return "EMSGSIZE, message too long";
            case 101: return "ENETUNREACH, network unreachable";
            case 105: return "ENOBUFS, no buffer space";
            case 111: return "ECONNREFUSED, connection refused";
            case 113: return "EHOSTUNREACH, host unreachable";
            default: return "errno " + errno;
        }
    }
}
