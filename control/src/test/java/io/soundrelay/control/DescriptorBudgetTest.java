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
package io.soundrelay.control;

import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.config.ConfigurationException;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The start-up sum of file descriptors: what fits, what stops the node (naming the variables) and what starts with a
 * smaller relay-port budget.
 */
class DescriptorBudgetTest
{
    private static Configuration config(final String... nameValues)
    {
        final Map<String, String> env = new HashMap<>();
        for (int i = 0; i < nameValues.length; i += 2)
        {
            env.put(nameValues[i], nameValues[i + 1]);
        }
        return Configuration.load(env, null);
    }

    @Test
    void theDefaultsFitAGenerousLimitAndTheRestIsTheRelayPortsBudget()
    {
        final DescriptorBudget budget = DescriptorBudget.check(config(), 65_536, 40);
        assertNull(budget.warning());
        assertEquals(65_536 - 256 - 40 - DescriptorBudget.RESERVE, budget.relayPorts());
    }

    @Test
    void chosenSettingsThatDoNotFitStopTheNodeNamingThem()
    {
        final String message = assertThrows(ConfigurationException.class, () -> DescriptorBudget.check(
            config("MAX_STREAMS_PER_NODE", "2000", "RELAY_PORTS", "40000-49999"), 1024, 50)).getMessage();
        assertTrue(message.startsWith("MAX_STREAMS_PER_NODE=2000 (a relay port per route) + " +
            "CONTROL_API_MAX_CONNECTIONS=256 + 178 in reserve"), message);
        assertTrue(message.contains("= 2434 file descriptors, over RLIMIT_NOFILE=1024"), message);

        final String api = assertThrows(ConfigurationException.class, () -> DescriptorBudget.check(
            config("CONTROL_API_MAX_CONNECTIONS", "4000"), 4096, 50)).getMessage();
        assertTrue(api.contains("CONTROL_API_MAX_CONNECTIONS=4000"), api);
    }

    @Test
    void aNarrowRelayPortRangeBoundsWhatRoutesCanTake()
    {
        final DescriptorBudget budget =
            DescriptorBudget.check(config("MAX_STREAMS_PER_NODE", "5000", "RELAY_PORTS", "40000-40099"), 1024, 50);
        assertNull(budget.warning(), "100 ports + 256 + 178 fit 1024");
    }

    @Test
    void theDefaultsUnderA1024LimitStartWithFewerRelayPorts()
    {
        final DescriptorBudget budget = DescriptorBudget.check(config(), 1024, 50);
        assertEquals(1024 - 256 - 50 - DescriptorBudget.RESERVE, budget.relayPorts());
        assertTrue(budget.warning().contains("RLIMIT_NOFILE=1024"), budget.warning());
        assertTrue(budget.reason().contains("590 relay ports"), budget.reason());
    }

    @Test
    void aLimitThatCannotHoldTheApiStopsEvenTheDefaults()
    {
        assertThrows(ConfigurationException.class, () -> DescriptorBudget.check(config(), 300, 50));
    }
}
