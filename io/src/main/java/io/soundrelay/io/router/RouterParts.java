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
package io.soundrelay.io.router;

import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.jitter.JitterPool;
import io.soundrelay.io.pace.PacePool;
import io.soundrelay.io.socket.RelaySocket;
import org.agrona.concurrent.NanoClock;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * What every {@link Route} of one router shares: the send batch, the deadline scheduler, the HOP forwarder, the
 * counters, the clock, the main socket, the pools its buffers and pacers come from and go back to, and the node's
 * route count (shared by the pipelines, changed only when a route comes or goes). Router thread only.
 */
final class RouterParts
{
    final SendBatch batch;
    final RouteTimers timers;
    final HopForwarder hop;
    final RelayCounters counters;
    final NanoClock clock;
    final RelaySocket mainSocket;
    final JitterPool jitterPool;
    final PacePool pacePool;
    /** Routes of every pipeline's table together: MAX_STREAMS_PER_NODE is the node's, not a pipeline's. */
    final AtomicInteger nodeRoutes;

    RouterParts(
        final SendBatch batch,
        final RouteTimers timers,
        final HopForwarder hop,
        final RelayCounters counters,
        final NanoClock clock,
        final RelaySocket mainSocket,
        final JitterPool jitterPool,
        final PacePool pacePool,
        final AtomicInteger nodeRoutes)
    {
        this.nodeRoutes = nodeRoutes;
        this.batch = batch;
        this.timers = timers;
        this.hop = hop;
        this.counters = counters;
        this.clock = clock;
        this.mainSocket = mainSocket;
        this.jitterPool = jitterPool;
        this.pacePool = pacePool;
    }
}
