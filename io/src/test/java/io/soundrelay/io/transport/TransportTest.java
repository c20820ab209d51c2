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

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * TRANSPORT: epoll and nio, and io_uring of earlier versions still accepted as epoll.
 */
class TransportTest
{
    @Test
    void ioUringIsAcceptedAndRunsEpoll()
    {
        assumeTrue(Transport.EPOLL.isAvailable(), "epoll not available here");
        assertEquals(Transport.EPOLL, Transport.select("io_uring"));
        assertEquals(Transport.EPOLL, Transport.select("epoll"));
        assertEquals(Transport.EPOLL, Transport.select("auto"));
        assertEquals(Transport.NIO, Transport.select("nio"));
        assertThrows(IllegalArgumentException.class, () -> Transport.select("kqueue"));
    }
}
