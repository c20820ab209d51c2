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
package io.soundrelay.core.config;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SettingTest
{
    @Test
    void aDeclarationGivesItsHelpLineWithItsOwnBoundsAndDefault()
    {
        final Setting<Integer> setting = Setting.integer("SOME_LIMIT", 7, 1, 99, "most things ({min}-{max})");

        assertEquals(new Configuration.Help("SOME_LIMIT", "7", "most things (1-99)"), setting.help());
        assertEquals(7, setting.defaultValue());
        assertEquals(1, setting.min());
        assertEquals(99, setting.max());
    }

    @Test
    void aNumberOrAWordReadsTheWordAsItsOwnValueAndChecksNumbersAsAnIntegerSettingDoes()
    {
        final Setting<Integer> pipelines = DataPlaneSettings.DATA_PLANE_PIPELINES;

        assertEquals(1, pipelines.defaultValue());
        assertEquals(1, pipelines.min());
        assertEquals(64, pipelines.max());
        assertEquals("1", pipelines.help().defaultValue());
        assertTrue(pipelines.help().summary().contains("(1-64)"), pipelines.help().summary());
        assertEquals(DataPlaneSettings.PIPELINES_AUTO, pipelines.read(Map.of("DATA_PLANE_PIPELINES", "auto")));
        assertEquals(7, pipelines.read(Map.of("DATA_PLANE_PIPELINES", "7")));
        assertEquals(64, pipelines.require(64));
        assertEquals("DATA_PLANE_PIPELINES=0: outside 1-64 (or auto)",
            assertThrows(IllegalArgumentException.class, () -> pipelines.require(0)).getMessage());
    }

    @Test
    void readsTheDefaultWhenUnsetAndRefusesWhatTheDeclarationRefuses()
    {
        final Setting<Integer> ring = DataPlaneSettings.RING_SIZE;

        assertEquals(16_384, ring.read(Map.of()));
        assertEquals(128, ring.read(Map.of("RING_SIZE", " 128 ")));
        assertEquals("RING_SIZE=: empty; expected an integer 64-1048576",
            assertThrows(ConfigurationException.class, () -> ring.read(Map.of("RING_SIZE", ""))).getMessage());
        assertFalse(ring.isSet(Map.of("RING_SIZE", "  ")));
        assertTrue(ring.isSet(Map.of("RING_SIZE", "64")));
    }

    @Test
    void aValueGivenInCodePassesTheSameChecksWithTheSameMessage()
    {
        assertEquals(1024, DataPlaneSettings.RING_SIZE.require(1024));
        assertEquals("RING_SIZE=1000: not a power of two (64, 128, ... 1048576)",
            assertThrows(IllegalArgumentException.class, () -> DataPlaneSettings.RING_SIZE.require(1000)).getMessage());
        assertEquals("RING_SIZE=32: outside 64-1048576",
            assertThrows(IllegalArgumentException.class, () -> DataPlaneSettings.RING_SIZE.require(32)).getMessage());
        assertEquals("REDIS_QUEUE_MAX=10: at least 64, or 0 for 16 x MAX_STREAMS_PER_NODE",
            assertThrows(IllegalArgumentException.class, () -> ClusterSettings.REDIS_QUEUE_MAX.require(10))
                .getMessage());
    }

    @Test
    void optionalSettingsAreNullWhenUnset()
    {
        assertNull(ClusterSettings.NODE_ID.defaultValue());
        assertNull(ClusterSettings.ADVERTISE_HOST.read(Map.of()));
        assertEquals("derived", ClusterSettings.ADVERTISE_HOST.help().defaultValue());
    }

    @Test
    void everyVariableIsDeclaredOnceAndListedOnce()
    {
        final Set<String> names = new HashSet<>(Configuration.NAMES);
        assertEquals(Configuration.NAMES.size(), names.size());
        final List<Configuration.Help> help = Configuration.help();
        assertEquals(Configuration.NAMES.size(), help.size());
        assertTrue(help.get(help.indexOf(ClusterSettings.REDIS_POOL_SIZE.help())).summary()
            .contains("compatibility only"));
    }
}
