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

import java.net.InetSocketAddress;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Settings checked against the machine: PIN_CPUS against the CPUs the process may use, a control API open to anyone,
 * and the relay port an unset NODE_ID ends in.
 */
class StartupChecksTest
{
    @Test
    void aCpuListReadsAsTheKernelWritesIt()
    {
        final BitSet cpus = StartupChecks.parseCpuList("0-3,8,10-11");
        assertEquals("{0, 1, 2, 3, 8, 10, 11}", cpus.toString());
        assertEquals("{0}", StartupChecks.parseCpuList("0").toString());
        assertEquals("{}", StartupChecks.parseCpuList("").toString());
    }

    @Test
    void pinCpusOutsideTheAllowedCpusIsRefusedNamingTheVariableTheCpuAndTheList()
    {
        StartupChecks.checkPinCpus(List.of(), "0");
        StartupChecks.checkPinCpus(List.of(1, 0), "0-1");
        StartupChecks.checkPinCpus(List.of(8, 2), "0-3,8");
        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> StartupChecks.checkPinCpus(List.of(0, 99), "0-1"));
        assertEquals("PIN_CPUS=0,99: CPU 99 is not one this process may run on; it may use CPUs 0-1 (name some of " +
            "those, or leave PIN_CPUS empty for no pinning)", ex.getMessage());
        assertThrows(ConfigurationException.class, () -> StartupChecks.checkPinCpus(List.of(4), "0-3,8"));
    }

    @Test
    void theAllowedCpusOfThisProcessIncludeAsManyAsTheJvmSees()
    {
        final String allowed = StartupChecks.allowedCpus();
        assertTrue(StartupChecks.parseCpuList(allowed).cardinality() >= Runtime.getRuntime().availableProcessors(),
            allowed);
    }

    @Test
    void anApiWithoutAuthenticationOnAnAddressOthersReachIsWarnedAbout()
    {
        final String warning = StartupChecks.openApiWarning(false, new InetSocketAddress("0.0.0.0", 0), 4300);
        assertTrue(warning.startsWith("AUTH_ENABLED=false and the control API listens on 0.0.0.0:4300, which is " +
            "not a loopback address: anyone who can reach that port can create"), warning);
        assertTrue(warning.contains("Set AUTH_ENABLED=true") && warning.contains("bind CONTROL_API_ADDR to 127.0.0.1"),
            warning);
        assertTrue(StartupChecks.openApiWarning(false, new InetSocketAddress("::", 0), 4300)
            .contains("listens on [0:0:0:0:0:0:0:0]:4300,"));
        assertNull(StartupChecks.openApiWarning(false, new InetSocketAddress("127.0.0.1", 0), 4300), "loopback");
        assertNull(StartupChecks.openApiWarning(false, new InetSocketAddress("::1", 0), 4300), "loopback v6");
        assertNull(StartupChecks.openApiWarning(true, new InetSocketAddress("0.0.0.0", 0), 4300), "auth on");
    }

    @Test
    void portZeroWithoutNodeIdTakesAPortAndTheNodeIdEndsInIt()
    {
        final Configuration chosen = BoundRelayPort.choose(
            Configuration.load(Map.of("BIND_ADDR", "127.0.0.1:0", "RING_SIZE", "1024"), null));
        final int port = chosen.bindAddr().getPort();
        assertNotEquals(0, port);
        assertEquals("127.0.0.1", chosen.bindAddr().getAddress().getHostAddress());
        assertEquals(Configuration.defaultNodeId(Configuration.localHostName(), port), chosen.nodeId());
        assertTrue(chosen.nodeId().endsWith("-" + port), chosen.nodeId());
        assertEquals(1024, chosen.ringSize(), "the other settings stay");

        final Configuration named = Configuration.load(Map.of("BIND_ADDR", "127.0.0.1:0", "NODE_ID", "n1"), null);
        assertSame(named, BoundRelayPort.choose(named), "a set NODE_ID needs no port");
        final Configuration fixed = Configuration.load(Map.of("BIND_ADDR", "127.0.0.1:4711"), null);
        assertSame(fixed, BoundRelayPort.choose(fixed));
    }
}
