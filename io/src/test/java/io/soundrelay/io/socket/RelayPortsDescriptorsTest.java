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
package io.soundrelay.io.socket;

import io.soundrelay.io.BindFailure;
import io.soundrelay.io.transport.Transport;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Relay ports and file descriptors: EMFILE and ENFILE as each layer reports them are told apart from other failures,
 * and a descriptor budget refuses a port as a full range does.
 */
class RelayPortsDescriptorsTest
{
    @Test
    void tooManyOpenFilesIsRecognisedInEveryForm()
    {
        assertTrue(RelayPorts.outOfDescriptors(new SocketException("Too many open files")));
        assertTrue(RelayPorts.outOfDescriptors(new IllegalStateException("newSocketDgram",
            new IOException("newSocketDgram(..) failed: Too many open files"))));
        assertTrue(RelayPorts.outOfDescriptors(new IOException("socket(..) failed with error(-24)")));
        assertTrue(RelayPorts.outOfDescriptors(new IOException("Too many open files in system")));
        assertTrue(RelayPorts.outOfDescriptors(new BindFailure("a relay port",
            new InetSocketAddress("127.0.0.1", 40000), new SocketException("Too many open files"))));
        assertFalse(RelayPorts.outOfDescriptors(new SocketException("Address already in use")));
        assertFalse(RelayPorts.outOfDescriptors(new IOException((String)null)));
    }

    @Test
    void aDescriptorBudgetRefusesPortsPastIt() throws Exception
    {
        final RelayPorts ports = new RelayPorts(Transport.NIO, InetAddress.getLoopbackAddress(), 41500, 41599, 65536);
        ports.descriptorBudget(2, "RLIMIT_NOFILE=1024 leaves file descriptors for 2 relay ports");
        final RelaySocket first = ports.open(0);
        final RelaySocket second = ports.open(0);
        final String message = assertThrows(RelayPorts.ExhaustedException.class, () -> ports.open(0)).getMessage();
        assertTrue(message.startsWith("RLIMIT_NOFILE=1024"), message);
        assertEquals(2, ports.inUse());
        ports.release(first);
        ports.release(ports.open(0));
        ports.release(second);
        assertEquals(0, ports.inUse());
    }
}
