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
package io.soundrelay.io;

import io.soundrelay.core.config.Configuration;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DataPlaneContextTest
{
    @Test
    void theContextsDefaultsAreTheDeclaredOnes()
    {
        final Configuration defaults = Configuration.load(Map.of(), null);
        final DataPlane.Context ctx = new DataPlane.Context();

        assertEquals(defaults.bindAddr(), ctx.bindAddress());
        assertEquals(defaults.ringSize(), ctx.ringSize());
        assertEquals(defaults.maxDatagramBytes(), ctx.maxDatagramBytes());
        assertEquals(defaults.maxStreamsPerNode(), ctx.maxRoutes());
        assertEquals(defaults.waitStrategy(), ctx.waitStrategy());
        assertEquals(defaults.sendBatch(), ctx.sendBatch());
        assertEquals(defaults.receiveBatch(), ctx.receiveBatch());
        assertEquals(defaults.dataPlaneThreads(), ctx.threadingMode().threads());
        assertEquals(defaults.routeTtlSeconds() * 1_000_000_000L, ctx.routeTtlNs());
        assertEquals(defaults.paceMaxHeld(), ctx.paceMaxHeld());
        assertEquals(defaults.enableMixer(), ctx.mixer());
        assertEquals(defaults.mixerStaleMs(), ctx.mixerStaleMs());
        assertEquals(defaults.mixerRoomEncodesPerPeriod(), ctx.mixerRoomEncodesPerPeriod());
        assertEquals(defaults.mixerNodeEncodesPer20Ms(), ctx.mixerNodeEncodesPer20Ms());
        assertEquals(defaults.relayPortsFirst(), ctx.relayPortsFirst());
        assertEquals(defaults.relayPortsLast(), ctx.relayPortsLast());
        assertEquals(defaults.dataPlanePipelines(), ctx.pipelines());
    }

    @Test
    void pipelinesOutsideOneToSixtyFourAreRefused()
    {
        assertEquals("DATA_PLANE_PIPELINES=65: outside 1-64 (or auto)", assertThrows(IllegalArgumentException.class,
            () -> new DataPlane.Context().pipelines(65).conclude()).getMessage());
        assertEquals("DATA_PLANE_PIPELINES=0: outside 1-64 (or auto)", assertThrows(IllegalArgumentException.class,
            () -> new DataPlane.Context().pipelines(0).conclude()).getMessage());
    }

    @Test
    void pinCpusGivesEachPipelineItsEntries()
    {
        // One pipeline: as before pipelines (shared thread, router, mixer); the router takes the receiver's.
        assertEquals(1, PipelineCpus.cpu(new int[]{ 1, 2, 3 }, 1, 1, 0, 0));
        assertEquals(3, PipelineCpus.mixerCpu(new int[]{ 1, 2, 3 }, 1, 1));
        assertEquals(1, PipelineCpus.cpu(new int[]{ 1 }, 1, 2, 0, 1));
        // N * T entries: one each, then the mixer's.
        final int[] five = { 4, 5, 6, 7, 8 };
        assertEquals(4, PipelineCpus.cpu(five, 2, 2, 0, 0));
        assertEquals(5, PipelineCpus.cpu(five, 2, 2, 0, 1));
        assertEquals(6, PipelineCpus.cpu(five, 2, 2, 1, 0));
        assertEquals(7, PipelineCpus.cpu(five, 2, 2, 1, 1));
        assertEquals(8, PipelineCpus.mixerCpu(five, 2, 2));
        // At least N: pipeline k's threads share entry k; the mixer takes entry N if there is one.
        assertEquals(5, PipelineCpus.cpu(new int[]{ 4, 5 }, 2, 2, 1, 0));
        assertEquals(5, PipelineCpus.cpu(new int[]{ 4, 5 }, 2, 2, 1, 1));
        assertEquals(-1, PipelineCpus.mixerCpu(new int[]{ 4, 5 }, 2, 2));
        assertEquals(6, PipelineCpus.mixerCpu(new int[]{ 4, 5, 6 }, 2, 2));
        // Fewer than N: the pipelines beyond go unpinned.
        assertEquals(5, PipelineCpus.cpu(new int[]{ 4, 5 }, 3, 1, 1, 0));
        assertEquals(-1, PipelineCpus.cpu(new int[]{ 4, 5 }, 3, 1, 2, 0));
    }

    @Test
    void theContextRefusesWhatTheEnvironmentWouldWithTheSameMessage()
    {
        final String fromEnvironment = assertThrows(RuntimeException.class,
            () -> Configuration.load(Map.of("RING_SIZE", "1000"), null)).getMessage();
        final String fromCode = assertThrows(IllegalArgumentException.class,
            () -> new DataPlane.Context().ringSize(1000).conclude()).getMessage();

        assertEquals(fromEnvironment, fromCode);
        assertEquals("MAX_DATAGRAM_BYTES=32: outside 64-65507", assertThrows(IllegalArgumentException.class,
            () -> new DataPlane.Context().maxDatagramBytes(32).conclude()).getMessage());
    }
}
