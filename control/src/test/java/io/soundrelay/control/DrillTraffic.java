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

import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import static io.soundrelay.control.NodeFixture.frame;
import static io.soundrelay.control.NodeFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Streams at 50 datagrams a second each through a node, for the Redis drills, and a receiver that counts what
 * reaches the target per stream: the node must keep relaying whatever Redis does.
 */
final class DrillTraffic
{
    private final NodeFixture node;
    private final long firstStream;
    private final List<DatagramChannel> sources;
    private final DatagramChannel target;
    private final AtomicLongArray sent;
    private final AtomicLongArray received;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private Thread sender;

    /**
     * @param sources one per stream; stream {@code firstStream + i} is sent from {@code sources.get(i)}.
     * @param target  where every stream's route sends (deliver "payload"); closing it ends the receiver.
     */
    DrillTraffic(final NodeFixture node, final long firstStream, final List<DatagramChannel> sources,
        final DatagramChannel target) throws Exception
    {
        this.node = node;
        this.firstStream = firstStream;
        this.sources = sources;
        this.target = target;
        this.sent = new AtomicLongArray(sources.size());
        this.received = new AtomicLongArray(sources.size());
        target.setOption(StandardSocketOptions.SO_RCVBUF, 8 << 20);
    }

    void start()
    {
        sender = new Thread(this::send, "drill-sender");
        final Thread receiver = new Thread(this::receive, "drill-receiver");
        receiver.setDaemon(true);
        receiver.start();
        sender.start();
    }

    private void send()
    {
        final ByteBuffer payload = ByteBuffer.allocate(16);
        long next = System.nanoTime();
        for (long seq = 0; running.get(); seq++)
        {
            for (int i = 0; i < sources.size(); i++)
            {
                payload.clear();
                payload.putLong(firstStream + i).putLong(seq);
                try
                {
                    node.send(sources.get(i), frame(firstStream + i, 0, seq, payload.array()));
                    sent.incrementAndGet(i);
                }
                catch (final Exception ex)
                {
                    failure.compareAndSet(null, ex);
                }
            }
            next += TimeUnit.MILLISECONDS.toNanos(20);
            LockSupport.parkNanos(next - System.nanoTime());
        }
    }

    private void receive()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(2048);
        while (true)
        {
            buffer.clear();
            try
            {
                target.receive(buffer);
            }
            catch (final Exception ex)
            {
                return; // closed at the end of the test
            }
            buffer.flip();
            if (buffer.remaining() == 16)
            {
                received.incrementAndGet((int)(buffer.getLong(0) - firstStream));
            }
        }
    }

    void stop() throws InterruptedException
    {
        running.set(false);
        sender.join();
        assertNull(failure.get(), () -> "sending failed: " + failure.get());
    }

    long sent()
    {
        long total = 0;
        for (int i = 0; i < sent.length(); i++)
        {
            total += sent.get(i);
        }
        return total;
    }

    /**
     * Waits until the target has as many datagrams as were sent, then checks every stream got each one.
     */
    void assertNoneLost() throws InterruptedException
    {
        waitFor("every datagram sent to reach the target", () ->
        {
            long total = 0;
            for (int i = 0; i < received.length(); i++)
            {
                total += received.get(i);
            }
            return total >= sent();
        });
        for (int i = 0; i < sent.length(); i++)
        {
            assertEquals(sent.get(i), received.get(i), "stream " + (firstStream + i));
        }
    }
}
