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
package io.soundrelay.io.pace;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The pacing pool's memory comes only from {@link PacePool#provision(int)} (the control plane), never from a take on
 * the router: what the paced routes may hold, in chunks, at most PACE_MAX_HELD.
 */
class PacePoolTest
{
    private static final Pacer.Sink SINK = new Pacer.Sink()
    {
        public void depart(final io.soundrelay.io.ring.RelaySlot slot, final int offset, final int length,
            final long dueNs)
        {
        }

        public void reanchored(final io.soundrelay.core.status.ReanchorReason reason)
        {
        }

        public long flushGeneration()
        {
            return 0;
        }

        public void flush()
        {
        }
    };

    @Test
    void aTakeNeverAllocatesOnlyProvisionedPlacesAreHad()
    {
        final PacePool pool = new PacePool(1000, 1500, null);
        assertEquals(-1, pool.take(SINK), "nothing provisioned: full, the datagram leaves unpaced");
        assertEquals(0, pool.allocated());

        pool.provision(7); // a route at pace_ms 100: one chunk
        for (int i = 0; i < PacePool.CHUNK; i++)
        {
            assertTrue(pool.take(SINK) >= 0);
        }
        assertEquals(-1, pool.take(SINK), "the chunk is used up and nothing more was provisioned");
        assertEquals(PacePool.CHUNK, pool.allocated());
    }

    @Test
    void provisioningFollowsWhatThePacedRoutesMayHoldUpToPaceMaxHeld()
    {
        final PacePool pool = new PacePool(600, 1500, null);
        pool.pacedCapacity(300); // routes the router runs now may hold 300
        pool.provision(152); // one more, at pace_ms 2000 and jitter_ms 1000
        int taken = 0;
        while (pool.take(SINK) >= 0)
        {
            taken++;
        }
        assertEquals(512, taken, "452 wanted: two chunks");

        pool.applied(152); // the route was made: its pacer counts in the paced capacity
        pool.pacedCapacity(10_000);
        pool.provision(10);
        while (pool.take(SINK) >= 0)
        {
            taken++;
        }
        assertEquals(600, taken, "never past PACE_MAX_HELD");
        assertEquals(600, pool.allocated());
    }

    @Test
    void routesAskedForAtOnceAreProvisionedForTogetherBeforeTheRouterAppliesThem()
    {
        final PacePool pool = new PacePool(100_000, 1500, null);
        for (int i = 0; i < 20; i++)
        {
            pool.provision(27); // 20 paced routes at pace_ms 500, none applied yet
        }
        int taken = 0;
        while (pool.take(SINK) >= 0)
        {
            taken++;
        }
        assertEquals(768, taken, "540 wanted: three chunks");
    }
}
