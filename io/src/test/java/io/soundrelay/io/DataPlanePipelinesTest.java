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
package io.soundrelay.io;

import io.soundrelay.core.config.Configuration;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.io.router.RouteCommand;
import io.soundrelay.io.router.RouterProxy;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.transport.Transport;
import io.soundrelay.protocol.FrameFlyweight;
import org.agrona.concurrent.NanoClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.soundrelay.io.DataPlaneTest.local;
import static io.soundrelay.io.DataPlaneTest.open;
import static io.soundrelay.io.DataPlaneTest.receive;
import static io.soundrelay.io.DataPlaneTest.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Two pipelines on real loopback sockets (PROTOCOL.md section 11). On epoll the kernel steers every datagram to its
 * owner's socket (the cBPF program): no hand-off, each pipeline receives exactly its own streams. On NIO there is no
 * steering: the kernel spreads the sources over the main port's two sockets by their addresses, so about half the
 * streams reach a pipeline that does not own them and are handed off. Either way every datagram reaches its targets,
 * in order.
 */
class DataPlanePipelinesTest
{
    private static final int STREAMS = 16;
    private static final int FRAMES = 20;

    @ParameterizedTest(name = "{0}, {1} thread(s)")
    @CsvSource({ "epoll,1", "epoll,2", "nio,1", "nio,2" })
    void everyStreamIsRoutedByItsOwnerWhicheverSocketTakesIt(final String transportName, final int threads)
        throws Exception
    {
        assumeTransport(transportName);
        final List<DatagramChannel> channels = new ArrayList<>();
        try (DataPlane plane = start(transportName, threads))
        {
            assertEquals(2, plane.pipelines());
            final boolean steered = "epoll".equals(transportName);
            if (steered)
            {
                assertEquals("cbpf", plane.steering());
            }
            else
            {
                assertTrue(plane.steering().startsWith("TRANSPORT=nio"), plane.steering());
            }
            final DatagramChannel[] sources = new DatagramChannel[STREAMS];
            final DatagramChannel[] targets = new DatagramChannel[STREAMS];
            for (int i = 0; i < STREAMS; i++)
            {
                sources[i] = keep(channels, open());
                targets[i] = keep(channels, open());
                // Stream ids 1000..1015: owned by pipelines 0 and 1 in turn; created through both command queues.
                create(plane, new RouteSpec(streamId(i), Endpoint.of(local(sources[i])),
                    List.of(Endpoint.of(local(targets[i]))), null, Deliver.PAYLOAD, 0, false), null);
            }
            for (int seq = 0; seq < FRAMES; seq++)
            {
                for (int i = 0; i < STREAMS; i++)
                {
                    sources[i].send(frame(streamId(i), seq, payload(i, seq)), plane.localAddress());
                }
            }
            for (int i = 0; i < STREAMS; i++)
            {
                for (int seq = 0; seq < FRAMES; seq++)
                {
                    assertArrayEquals(payload(i, seq), receive(targets[i]), "stream " + streamId(i) + " in order");
                }
            }
            final long total = (long)STREAMS * FRAMES;
            waitFor(() -> plane.counters().sent() == total);
            assertEquals(total, plane.counters().received());
            assertEquals(total, plane.pipelineReceived(0) + plane.pipelineReceived(1));
            if (steered)
            {
                // Streams 1000..1015 alternate between the pipelines: each received exactly its own eight.
                assertEquals(0, plane.handoffs());
                assertEquals(total / 2, plane.pipelineReceived(0));
                assertEquals(total / 2, plane.pipelineReceived(1));
            }
            else
            {
                assertTrue(plane.handoffs() > 0 && plane.handoffs() < total, "handoffs " + plane.handoffs());
            }
            assertEquals(0, plane.counters().errors(ErrorReason.RING_FULL));
            assertEquals(0, plane.counters().errors(ErrorReason.UNKNOWN_STREAM));
            assertEquals(0, plane.counters().errors(ErrorReason.SOURCE_MISMATCH));

            // Deleted on both pipelines: the streams' datagrams are unknown wherever they come in.
            for (int i = 0; i < STREAMS; i++)
            {
                assertEquals(RouteCommand.Outcome.OK,
                    plane.proxy().delete(streamId(i)).get(5, TimeUnit.SECONDS).outcome());
            }
            for (int i = 0; i < STREAMS; i++)
            {
                sources[i].send(frame(streamId(i), FRAMES, payload(i, FRAMES)), plane.localAddress());
            }
            waitFor(() -> plane.counters().errors(ErrorReason.UNKNOWN_STREAM) == STREAMS);
            assertEquals(total, plane.counters().sent());
        }
        finally
        {
            for (final DatagramChannel channel : channels)
            {
                channel.close();
            }
        }
    }

    @ParameterizedTest(name = "{0}, {1} thread(s)")
    @CsvSource({ "epoll,1", "epoll,2", "nio,1", "nio,2" })
    void relayPortsWorkOnBothPipelines(final String transportName, final int threads) throws Exception
    {
        assumeTransport(transportName);
        final List<DatagramChannel> channels = new ArrayList<>();
        try (DataPlane plane = start(transportName, threads))
        {
            for (int i = 0; i < 2; i++)
            {
                final DatagramChannel source = keep(channels, open());
                final DatagramChannel target = keep(channels, open());
                final long streamId = 2000 + i; // pipeline i
                assertEquals(i, RouterProxy.owner(streamId, 2));
                final RelaySocket relay = plane.relayPorts().open(0);
                create(plane, new RouteSpec(streamId, Endpoint.of(local(source)), List.of(Endpoint.of(local(target))),
                    null, Deliver.FRAMED, 0, false, true), relay);
                final InetSocketAddress port = new InetSocketAddress("127.0.0.1", relay.port());

                final byte[] out = ("to target " + i).getBytes();
                source.send(ByteBuffer.wrap(out), port);
                assertArrayEquals(out, receive(target));
                final byte[] back = ("back to source " + i).getBytes();
                target.send(ByteBuffer.wrap(back), port);
                assertArrayEquals(back, receive(source));
            }
            waitFor(() -> plane.counters().sent() == 4 && plane.counters().returned() == 2);
            assertEquals(4, plane.counters().received());
            // A relay port is received by its route's pipeline alone: nothing to hand off.
            assertEquals(2, plane.pipelineReceived(0));
            assertEquals(2, plane.pipelineReceived(1));
            assertEquals(0, plane.handoffs());
        }
        finally
        {
            for (final DatagramChannel channel : channels)
            {
                channel.close();
            }
        }
    }

    /**
     * An {@link Error} out of pipeline 1's duty cycle (its clock throws, on its own thread only) ends its thread:
     * the data plane reports it as fatal, naming the thread, rather than lose the pipeline's shard in silence.
     */
    @ParameterizedTest(name = "{0} thread(s)")
    @CsvSource({ "1", "2" })
    void aPipelineThreadThatDiesIsFatal(final int threads) throws Exception
    {
        final AtomicBoolean armed = new AtomicBoolean();
        final NanoClock clock = () ->
        {
            if (armed.get() && Thread.currentThread().getName().endsWith("-1"))
            {
                throw new Error("injected into pipeline 1");
            }
            return System.nanoTime();
        };
        final CompletableFuture<Throwable> fatal = new CompletableFuture<>();
        try (DataPlane plane = DataPlane.start(new DataPlane.Context()
            .pipelines(2)
            .bindAddress(new InetSocketAddress("127.0.0.1", 0))
            .transport(Configuration.Transport.NIO)
            .threadingMode(DataPlane.ThreadingMode.ofThreads(threads))
            .ringSize(64)
            .clock(clock)
            .threadFactory((role, cpu) -> r -> new Thread(r, role))))
        {
            plane.onFatal(fatal::complete);
            armed.set(true);
            // A command wakes pipeline 1's thread should it sleep in the kernel.
            plane.proxy().delete(1001);
            final Throwable failure = fatal.get(10, TimeUnit.SECONDS);
            assertTrue(failure.getMessage().contains("-1 stopped"), failure.getMessage());
            assertEquals("injected into pipeline 1", failure.getCause().getMessage());
        }
    }

    @Test
    void maxStreamsPerNodeIsTheNodesNotEachPipelines() throws Exception
    {
        try (DataPlane plane = DataPlane.start(new DataPlane.Context()
            .pipelines(2)
            .bindAddress(new InetSocketAddress("127.0.0.1", 0))
            .transport(Configuration.Transport.NIO)
            .maxRoutes(3));
            DatagramChannel source = open(); DatagramChannel target = open())
        {
            for (long id = 1000; id < 1005; id++) // pipelines 0, 1, 0, 1, 0
            {
                final RouteSpec spec = new RouteSpec(id, Endpoint.of(local(source)),
                    List.of(Endpoint.of(local(target))), null, Deliver.PAYLOAD, 0, false);
                assertEquals(id < 1003 ? RouteCommand.Outcome.OK : RouteCommand.Outcome.NODE_FULL,
                    plane.proxy().create(spec).get(5, TimeUnit.SECONDS).outcome(), "route " + id);
            }
            assertEquals(RouteCommand.Outcome.OK, plane.proxy().delete(1000).get(5, TimeUnit.SECONDS).outcome());
            create(plane, new RouteSpec(1003, Endpoint.of(local(source)), List.of(Endpoint.of(local(target))), null,
                Deliver.PAYLOAD, 0, false), null); // the place pipeline 0 freed, taken on pipeline 1
        }
    }

    @Test
    void theOwnerIsTheStreamIdModNAsAnUnsignedInt()
    {
        assertEquals(0, RouterProxy.owner(1000, 2));
        assertEquals(1, RouterProxy.owner(1001, 2));
        assertEquals(0, RouterProxy.owner(1234, 1));
        assertEquals((int)(0xFFFF_FFFFL % 3), RouterProxy.owner(0xFFFF_FFFFL, 3)); // an SSRC above 2^31
        assertEquals((int)(0xFFFF_FFFFL % 64), RouterProxy.owner(0x7_FFFF_FFFFL, 64)); // the low 32 bits
    }

    private DataPlane start(final String transportName, final int threads) throws Exception
    {
        return DataPlane.start(new DataPlane.Context()
            .pipelines(2)
            .bindAddress(new InetSocketAddress("127.0.0.1", 0))
            .transport(Configuration.Transport.valueOf(transportName.toUpperCase(Locale.ROOT)))
            .threadingMode(DataPlane.ThreadingMode.ofThreads(threads))
            .ringSize(1024));
    }

    private static void create(final DataPlane plane, final RouteSpec spec, final RelaySocket relay) throws Exception
    {
        assertEquals(RouteCommand.Outcome.OK, plane.proxy().create(spec, relay).get(5, TimeUnit.SECONDS).outcome());
    }

    private static long streamId(final int i)
    {
        return 1000 + i;
    }

    private static byte[] payload(final int stream, final int seq)
    {
        return ("stream " + stream + " frame " + seq).getBytes();
    }

    private static DatagramChannel keep(final List<DatagramChannel> channels, final DatagramChannel channel)
    {
        channels.add(channel);
        return channel;
    }

    private static ByteBuffer frame(final long streamId, final long seq, final byte[] payload)
    {
        final ByteBuffer bb = ByteBuffer.allocate(FrameFlyweight.HEADER_LENGTH + payload.length);
        FrameFlyweight.writeHeader(bb, 0, 0, streamId, seq, seq * 960);
        bb.position(FrameFlyweight.HEADER_LENGTH);
        bb.put(payload).flip();
        return bb;
    }

    private static void assumeTransport(final String transportName)
    {
        final Transport transport = Arrays.stream(Transport.values())
            .filter(t -> t.wireName().equals(transportName)).findFirst().orElseThrow();
        assumeTrue(transport.isAvailable(), transportName + " not available here");
    }
}
