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
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for relay ports in tests (PROTOCOL.md section 9): a UDP port per stream, each with its own socket and
 * thread. A datagram from the port's source goes to the target, byte for byte, from the port; one from the target
 * goes back to the source, from the port; anything else is dropped. A port opened with a source knows it, as a
 * route's {@code source_addr}; one opened without takes the last sender that is not the target as its source, as
 * bench/e2e's {@code udp-relay --ports} does. Faults: every n-th datagram of a direction, counted over all ports,
 * can be dropped, and the drops are counted.
 */
final class PortsRelay implements AutoCloseable
{
    private final InetSocketAddress target;
    private final List<Port> ports = new CopyOnWriteArrayList<>();
    private final AtomicLong forwardSeen = new AtomicLong();
    private final AtomicLong returnSeen = new AtomicLong();
    private final AtomicLong forwardDropped = new AtomicLong();
    private final AtomicLong returnDropped = new AtomicLong();
    private final AtomicLong strangers = new AtomicLong();
    private volatile long dropForwardEvery;
    private volatile long dropReturnEvery;

    /**
     * @param target where every port forwards its source's datagrams.
     */
    PortsRelay(final InetSocketAddress target)
    {
        this.target = target;
    }

    /**
     * Open {@code count} ports on consecutive port numbers, sources learnt from traffic.
     *
     * @return the first port number.
     */
    int openConsecutive(final int count) throws IOException
    {
        // Below the usual ephemeral range (32768-60999): no socket of the generator takes one meanwhile.
        for (int attempt = 0; attempt < 50; attempt++)
        {
            final int first = 20_000 + (int)(Math.random() * 10_000);
            final int opened = ports.size();
            try
            {
                for (int i = 0; i < count; i++)
                {
                    open(first + i, null);
                }
                return first;
            }
            catch (final IOException ex)
            {
                while (ports.size() > opened)
                {
                    ports.remove(ports.size() - 1).close();
                }
            }
        }
        throw new IOException("no " + count + " consecutive free UDP ports found");
    }

    /**
     * Open one port on an ephemeral number.
     *
     * @param source the route's source, or null to take the last sender that is not the target.
     * @return the port number.
     */
    int open(final InetSocketAddress source) throws IOException
    {
        return open(0, source);
    }

    /**
     * Drop every n-th datagram from a source (forward) and every m-th from the target (return); 0: none.
     */
    void drop(final long forwardEvery, final long returnEvery)
    {
        this.dropForwardEvery = forwardEvery;
        this.dropReturnEvery = returnEvery;
    }

    long forwardDropped()
    {
        return forwardDropped.get();
    }

    long returnDropped()
    {
        return returnDropped.get();
    }

    /**
     * @return datagrams relayed, dropped ones included, from sources and from the target.
     */
    long forwardSeen()
    {
        return forwardSeen.get();
    }

    long returnSeen()
    {
        return returnSeen.get();
    }

    /**
     * @return datagrams dropped because they came from neither the port's source nor the target.
     */
    long strangers()
    {
        return strangers.get();
    }

    public void close()
    {
        for (final Port port : ports)
        {
            port.close();
        }
    }

    private int open(final int number, final InetSocketAddress source) throws IOException
    {
        final DatagramChannel channel = DatagramChannel.open();
        try
        {
            channel.bind(new InetSocketAddress("127.0.0.1", number));
        }
        catch (final IOException ex)
        {
            channel.close();
            throw ex;
        }
        final Port port = new Port(channel, source);
        ports.add(port);
        port.thread.start();
        return ((InetSocketAddress)channel.getLocalAddress()).getPort();
    }

    private final class Port
    {
        private final DatagramChannel channel;
        private final Thread thread;
        private InetSocketAddress source;

        Port(final DatagramChannel channel, final InetSocketAddress source)
        {
            this.channel = channel;
            this.source = source;
            this.thread = new Thread(this::run, "ports-relay");
            thread.setDaemon(true);
        }

        void close()
        {
            try
            {
                channel.close();
                thread.join();
            }
            catch (final IOException ignore)
            {
                // closing a datagram socket loses nothing the test needs
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }

        private void run()
        {
            final boolean learns = null == source;
            final ByteBuffer buffer = ByteBuffer.allocate(65_536);
            try
            {
                while (true)
                {
                    buffer.clear();
                    final InetSocketAddress from = (InetSocketAddress)channel.receive(buffer);
                    buffer.flip();
                    final InetSocketAddress to;
                    if (from.equals(target))
                    {
                        to = source;
                        if (null == to || dropped(returnSeen, dropReturnEvery, returnDropped))
                        {
                            continue;
                        }
                    }
                    else if (learns || from.equals(source))
                    {
                        source = from;
                        to = target;
                        if (dropped(forwardSeen, dropForwardEvery, forwardDropped))
                        {
                            continue;
                        }
                    }
                    else
                    {
                        strangers.incrementAndGet();
                        continue;
                    }
                    channel.send(buffer, to);
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

        private boolean dropped(final AtomicLong seen, final long every, final AtomicLong dropped)
        {
            if (seen.incrementAndGet() % Math.max(1, every) == 0 && every > 0)
            {
                dropped.incrementAndGet();
                return true;
            }
            return false;
        }
    }
}
