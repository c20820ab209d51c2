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
package io.soundrelay.io.receive;

import io.soundrelay.io.socket.RelaySocket;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * Takes datagrams off a set of sockets (the main relay socket and the relay ports) straight into free ring slots, a
 * batch per call, on the thread that owns it; each slot is stamped with the socket it came in on. {@link #receive()}
 * never blocks; {@link #await(int)} blocks until a socket may be readable, another thread calls {@link #wake()}, or
 * the timeout passes. The set changes only on the owning thread ({@link #add}, {@link #remove}).
 */
public interface BatchReceiver extends AutoCloseable
{
    /**
     * Receive what the sockets hold now, at most one batch per socket, publishing each datagram to the ring; when the
     * ring is full the datagrams are still taken off the socket, and dropped and counted as {@code ring_full}.
     *
     * @return datagrams taken off the sockets; 0 when they had none.
     */
    int receive();

    /**
     * Block the owning thread until a socket may be readable, {@link #wake()} is called or the timeout passes.
     *
     * @param timeoutMs most milliseconds to wait.
     */
    void await(int timeoutMs);

    /**
     * {@link #await(int)} with the wait's usual timeout (not one a timer cut short): a receiver may then take
     * datagrams off its socket in the wait itself (a blocking {@code recvmmsg}), which the next {@link #receive()}
     * publishes without a further system call. The default waits as {@link #await(int)} does.
     *
     * @param timeoutMs most milliseconds to wait; the same value wait after wait.
     */
    default void awaitReceiving(final int timeoutMs)
    {
        await(timeoutMs);
    }

    /**
     * Publish what {@link #awaitReceiving(int)} took and {@link #receive()} has not published yet, taking nothing
     * more off the sockets: for a caller that stops receiving. Owning thread only.
     *
     * @return datagrams published.
     */
    default int publishTaken()
    {
        return 0;
    }

    /**
     * After a pause of the owning thread (PROTOCOL.md section 12; see {@link ReceiveAgent}): take off every socket in
     * the set what it holds now, and what {@link #awaitReceiving(int)} took and nobody published yet, publishing
     * nothing. Each datagram is counted received and dropped as {@code stale}. Allocates nothing. Owning thread only.
     *
     * @param maxPerSocket most datagrams taken off one socket: bounds the call when sources keep sending.
     * @return datagrams dropped.
     */
    int discardQueued(int maxPerSocket);

    /**
     * Wake the owning thread from {@link #await(int)} or {@link #awaitReceiving(int)}; any thread may call it. Work
     * another thread queued before calling it is seen by the owning thread's next duty cycle without waiting.
     */
    void wake();

    /**
     * Start receiving on a socket. Owning thread only.
     *
     * @param socket a bound socket of this transport.
     * @throws IOException when the kernel refuses to watch it.
     */
    void add(RelaySocket socket) throws IOException;

    /**
     * Stop receiving on a socket. Owning thread only. Once nothing the receiver started on the socket can still touch
     * it (at once on epoll and NIO; when its receives in flight are cancelled on io_uring), {@code out} gets it, on
     * this thread, to close it.
     *
     * @param socket a socket given to {@link #add}.
     * @param out    told when the socket is out of the set.
     */
    void remove(RelaySocket socket, Consumer<RelaySocket> out);

    /**
     * @return sockets in the set.
     */
    int sockets();

    /**
     * @return a short name for logs: the system call that receives.
     */
    String name();

    /**
     * Release what the receiver holds; the sockets themselves belong to the caller.
     */
    void close();
}
