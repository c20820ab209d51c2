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

/**
 * Takes datagrams off the relay socket straight into free ring slots, a batch per call, on the thread that owns it.
 * {@link #receive()} never blocks; {@link #await(long)} blocks until the socket may be readable, another thread
 * calls {@link #wake()}, or the timeout passes.
 */
public interface BatchReceiver extends AutoCloseable
{
    /**
     * Receive what the socket holds now, at most one batch, publishing each datagram to the ring; when the ring is
     * full the datagrams are still taken off the socket, and dropped and counted as {@code ring_full}.
     *
     * @return datagrams taken off the socket; 0 when it had none.
     */
    int receive();

    /**
     * Block the owning thread until the socket may be readable, {@link #wake()} is called or the timeout passes.
     *
     * @param timeoutMs most milliseconds to wait.
     */
    void await(int timeoutMs);

    /**
     * Wake the owning thread from {@link #await(int)}; any thread may call it.
     */
    void wake();

    /**
     * @return a short name for logs: the system call that receives.
     */
    String name();

    /**
     * Release what the receiver holds; the relay socket itself belongs to the caller.
     */
    void close();
}
