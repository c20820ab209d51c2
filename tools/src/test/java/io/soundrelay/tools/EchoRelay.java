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
package io.soundrelay.tools;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;

/**
 * A stand-in relay for tests: one thread receives on a socket and sends each datagram, less its first
 * {@code stripBytes} bytes, from the same socket to its targets in turn. No routes, no source check: it forwards
 * anything, as a plain UDP proxy does. A fault can be injected on every {@link #FAULT_EVERY}th datagram.
 */
final class EchoRelay implements AutoCloseable
{
    static final int FAULT_EVERY = 50;

    enum Fault
    {
        NONE, DROP, DUPLICATE, CORRUPT
    }

    private final DatagramChannel channel;
    private final int stripBytes;
    private final Fault fault;
    private final Thread thread;
    private volatile InetSocketAddress[] targets;

    EchoRelay(final int stripBytes, final Fault fault) throws IOException
    {
        this.stripBytes = stripBytes;
        this.fault = fault;
        this.channel = DatagramChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        this.thread = new Thread(this::run, "echo-relay");
        thread.setDaemon(true);
        thread.start();
    }

    String hostPort() throws IOException
    {
        return "127.0.0.1:" + ((InetSocketAddress)channel.getLocalAddress()).getPort();
    }

    /**
     * @param targets where datagrams go, one after the other in turn.
     */
    void forwardTo(final InetSocketAddress... targets)
    {
        this.targets = targets.clone();
    }

    public void close() throws IOException
    {
        channel.close();
        try
        {
            thread.join();
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    private void run()
    {
        final ByteBuffer buffer = ByteBuffer.allocate(65_536);
        long count = 0;
        try
        {
            while (true)
            {
                buffer.clear();
                channel.receive(buffer);
                buffer.flip();
                final InetSocketAddress[] to = targets;
                if (null == to || buffer.limit() < stripBytes)
                {
                    continue;
                }
                final InetSocketAddress target = to[(int)(count % to.length)];
                buffer.position(stripBytes);

                final boolean faulty = ++count % FAULT_EVERY == 0;
                if (faulty && fault == Fault.DROP)
                {
                    continue;
                }
                if (faulty && fault == Fault.CORRUPT)
                {
                    final int last = buffer.limit() - 1;
                    buffer.put(last, (byte)(buffer.get(last) ^ 0x01));
                }
                channel.send(buffer, target);
                if (faulty && fault == Fault.DUPLICATE)
                {
                    buffer.position(stripBytes);
                    channel.send(buffer, target);
                }
            }
        }
        catch (final ClosedChannelException ex)
        {
            // closed by the test
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
