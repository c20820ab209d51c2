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
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.socket.RelaySocket;

/**
 * Sends datagrams from the data plane's sockets (the main relay socket or a route's relay port: each datagram names
 * the one it leaves from), owned by one thread (the router's, or the mixer's). Sends are queued during a batch and
 * leave in as few system calls as the transport allows on {@link #flush()}; the bytes are read in place from the ring
 * slot, which stays untouched until the flush returns. Implementations count {@code relay_packets_sent_total} and
 * {@code send_failed} themselves (they run on the counters' owning thread), and tell each datagram's
 * {@link SendTally} what became of it. A send the kernel refuses costs that one datagram: the rest of a batch goes
 * on.
 */
public interface DatagramSender extends AutoCloseable
{
    /**
     * @return how many more datagrams can be queued before a {@link #flush()} is needed.
     */
    int remaining();

    /**
     * Queue one datagram. The caller checks {@link #remaining()} first.
     *
     * @param slot   holding the bytes.
     * @param offset of the first byte to send within the slot.
     * @param length bytes to send.
     * @param target where to.
     * @param tally  told, once the kernel has answered, whether this datagram was sent: the route's own counts.
     * @param from   the socket it leaves from, so the target sees that socket's address.
     */
    void queue(RelaySlot slot, int offset, int length, Endpoint target, SendTally tally, RelaySocket from);

    /**
     * Send everything queued.
     */
    void flush();

    /**
     * @return a short name for logs and benchmarks.
     */
    String name();

    default void close()
    {
    }
}
