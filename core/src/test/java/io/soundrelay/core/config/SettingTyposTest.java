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
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Typos in setting names are reported with the setting they likely mean, not ignored in silence.
 */
class SettingTyposTest
{
    @Test
    void unknownNamesInDotEnvAreReportedWithTheNearestSetting(@TempDir final Path dir) throws Exception
    {
        final Path dotEnv = dir.resolve(".env");
        Files.writeString(dotEnv, "API_KEY=a-key-of-sixteen-chars\nBIND_ADRR=127.0.0.1:4000\nFAVOURITE_COLOUR=blue\n" +
            "API_KEYS=a-key-of-sixteen-chars\nOTEL_SERVICE_NAME=relay\n");

        assertEquals(List.of(
            "API_KEY in " + dotEnv + " is not a setting of the node and is ignored; did you mean API_KEYS? " +
                "(--help lists them)",
            "BIND_ADRR in " + dotEnv + " is not a setting of the node and is ignored; did you mean BIND_ADDR? " +
                "(--help lists them)",
            "FAVOURITE_COLOUR in " + dotEnv + " is not a setting of the node and is ignored (--help lists them)"),
            SettingTypos.find(Map.of(), dotEnv));
    }

    @Test
    void onlyNamesCloseToASettingAreReportedFromTheEnvironment()
    {
        assertEquals(List.of("REDIS_URI in the environment is not a setting of the node and is ignored; did you mean " +
            "REDIS_URL?"), SettingTypos.find(Map.of("REDIS_URI", "redis://x", "PATH", "/bin", "HOME", "/root",
            "JAVA_HOME", "/opt/java", "REDIS_URL", "", "SOUNDRELAY_API_KEY", "k"), null));
    }

    @Test
    void distanceCountsSwapsAsOneEdit()
    {
        assertEquals(1, SettingTypos.distance("BIND_ADRR", "BIND_ADDR"));
        assertEquals(1, SettingTypos.distance("API_KEY", "API_KEYS"));
        assertEquals(0, SettingTypos.distance("NODE_ID", "NODE_ID"));
    }
}
