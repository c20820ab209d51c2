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
package io.soundrelay.io.router;

import com.lmax.disruptor.BusySpinWaitStrategy;
import com.lmax.disruptor.RingBuffer;
import io.soundrelay.core.route.Deliver;
import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRegistry;
import io.soundrelay.core.route.RouteSpec;
import io.soundrelay.core.route.SendTally;
import io.soundrelay.core.status.DurationHistogram;
import io.soundrelay.core.status.ErrorReason;
import io.soundrelay.core.status.RelayCounters;
import io.soundrelay.io.mix.MixerLink;
import io.soundrelay.core.config.Configuration;
import io.soundrelay.io.DataPlane;
import io.soundrelay.io.receive.ReceiverProxy;
import io.soundrelay.io.ring.RelaySlot;
import io.soundrelay.io.socket.RelaySocket;
import io.soundrelay.io.ring.RelaySlotFactory;
import io.soundrelay.io.send.DatagramSender;
import io.soundrelay.protocol.FrameFlyweight;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The router's once-a-second sweep, stepped by hand with chosen clock values: idle routes expire after the TTL
 * (counted, withdrawn, journaled), busy routes ask for an expiry refresh at most once a second, and a command is
 * answered only when the journal has kept it.
 */
class RouterSweepTest
{
    private static final long TTL_NS = TimeUnit.SECONDS.toNanos(10);
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    /** Journal that keeps what it is told and answers when the test says. */
    private static final class RecordingJournal implements RouteJournal
    {
        final List<String> changes = new ArrayList<>();
        final List<CompletableFuture<Durability>> answers = new ArrayList<>();
        final List<Long> refreshes = new ArrayList<>();
        boolean acceptRefresh = true;

        public CompletableFuture<Durability> record(final Change change, final RouteEntry entry)
        {
            changes.add(change + ":" + entry.streamId());
            final CompletableFuture<Durability> f = new CompletableFuture<>();
            answers.add(f);
            return f;
        }

        public boolean refresh(final RouteEntry entry)
        {
            if (acceptRefresh)
            {
                refreshes.add(entry.streamId());
            }
            return acceptRefresh;
        }
    }

    private static class NullSender implements DatagramSender
    {
        public int remaining()
        {
            return 64;
        }

        public void queue(
            final RelaySlot slot,
            final int offset,
            final int length,
            final Endpoint target,
            final SendTally tally,
            final RelaySocket from)
        {
        }

        public void flush()
        {
        }

        public String name()
        {
            return "null";
        }

        public void close()
        {
        }
    }

    private final RecordingJournal journal = new RecordingJournal();
    private final RouteRegistry registry = new RouteRegistry();
    private final RelayCounters counters = new RelayCounters();
    private final RouterAgent router = new RouterAgent(context(100, journal, registry),
        RingBuffer.createSingleProducer(new RelaySlotFactory(8, 1500), 8, new BusySpinWaitStrategy()),
        new NullSender(), null, new ReceiverProxy(16), null, counters);

    /**
     * The router's settings as the tests need them: the TTL, the journal, the route limit; NIO so no native
     * transport is touched.
     */
    static DataPlane.Context context(final int maxRoutes, final RouteJournal journal, final RouteRegistry registry)
    {
        return new DataPlane.Context().transport(Configuration.Transport.NIO).maxRoutes(maxRoutes).journal(journal)
            .routeTtlNs(TTL_NS).registry(registry).conclude();
    }

    private static RouteSpec spec(final long id)
    {
        final Endpoint a = Endpoint.of(new InetSocketAddress("127.0.0.1", 5000));
        final Endpoint b = Endpoint.of(new InetSocketAddress("127.0.0.1", 5001));
        return new RouteSpec(id, a, List.of(b), null, Deliver.PAYLOAD, 0, false);
    }

    private RouteEntry create(final long id, final long idleSinceNs)
    {
        final RouteCommand command = new RouteCommand.Create(spec(id), 0, idleSinceNs);
        router.apply(command);
        journal.answers.get(journal.answers.size() - 1).complete(Durability.STORED);
        return command.result().join().entry();
    }

    @Test
    void aCommandIsAnsweredOnlyOnceTheJournalKeptIt()
    {
        final RouteCommand command = new RouteCommand.Create(spec(9), 0, 0);
        router.apply(command);
        assertEquals(List.of("CREATED:9"), journal.changes);
        assertFalse(command.result().isDone(), "not answered before the journal");
        assertNotNull(registry.get(9), "routed at once all the same");
        journal.answers.get(0).complete(Durability.conflict("other"));
        assertEquals("other", command.result().join().durability().owner());
    }

    @Test
    void anIdleRouteExpiresAfterTheTtlAndNotBefore()
    {
        final long t0 = 1_000_000_000L;
        create(1, t0);
        assertEquals(0, router.sweep(t0 + TTL_NS - 1));
        assertNotNull(registry.get(1));

        assertEquals(1, router.sweep(t0 + TTL_NS));
        assertNull(registry.get(1));
        assertEquals(0, router.routeCount());
        assertEquals(1, counters.expired());
        assertEquals("EXPIRED:1", journal.changes.get(journal.changes.size() - 1));
    }

    @Test
    void refreshesATenthOfTheTtlApartBetweenOneAndThirtySeconds()
    {
        assertEquals(SECOND, RouterAgent.refreshIntervalNs(TTL_NS), "TTL 10 s: every second");
        assertEquals(SECOND, RouterAgent.refreshIntervalNs(2 * SECOND), "never more than once a second");
        assertEquals(12 * SECOND, RouterAgent.refreshIntervalNs(120 * SECOND));
        assertEquals(30 * SECOND, RouterAgent.refreshIntervalNs(300 * SECOND), "the default TTL: every 30 s");
        assertEquals(30 * SECOND, RouterAgent.refreshIntervalNs(86_400 * SECOND), "never less than every 30 s");
    }

    @Test
    void aBusyRouteIsRefreshedAtMostOnceASecondAndLivesOnPastTheTtl()
    {
        final long t0 = 1_000_000_000L;
        final RouteEntry entry = create(2, t0);
        for (long t = t0; t < t0 + 3 * TTL_NS; t += SECOND / 2)
        {
            entry.onDatagramIn(t);
            router.sweep(t);
        }
        assertNotNull(registry.get(2), "datagrams keep it alive");
        // 30 s of traffic, swept every 0.5 s: one refresh per second at most.
        assertTrue(journal.refreshes.size() <= 30 && journal.refreshes.size() >= 29, journal.refreshes.toString());

        final long last = t0 + 3 * TTL_NS - SECOND / 2;
        router.sweep(last + TTL_NS - 1);
        assertNotNull(registry.get(2), "still within the TTL of its last datagram");
        router.sweep(last + TTL_NS);
        assertNull(registry.get(2), "expires TTL after its last datagram");
    }

    @Test
    void aRefreshTheJournalCannotTakeIsAskedAgainNextSweep()
    {
        final long t0 = 1_000_000_000L;
        final RouteEntry entry = create(3, t0);
        entry.onDatagramIn(t0 + 1);
        journal.acceptRefresh = false;
        router.sweep(t0 + SECOND);
        assertEquals(0, journal.refreshes.size());
        journal.acceptRefresh = true;
        router.sweep(t0 + 2 * SECOND);
        assertEquals(List.of(3L), journal.refreshes);
    }

    @Test
    void aDatagramTheRouterFailsOnIsDroppedAndCountedInsteadOfWedgingTheRing()
    {
        final RingBuffer<RelaySlot> ring =
            RingBuffer.createSingleProducer(new RelaySlotFactory(8, 1500), 8, new BusySpinWaitStrategy());
        final DatagramSender failing = new NullSender()
        {
            public void queue(
                final RelaySlot slot,
                final int offset,
                final int length,
                final Endpoint target,
                final SendTally tally,
                final RelaySocket from)
            {
                throw new IllegalStateException("a bug in a sender");
            }
        };
        final RouterAgent agent = new RouterAgent(context(10, RouteJournal.MEMORY_ONLY, new RouteRegistry()), ring,
            failing, null, new ReceiverProxy(16), null, counters);
        final RouteCommand create = new RouteCommand.Create(spec(5), 0, 0);
        agent.apply(create);
        create.result().join();

        final RelaySlot slot = ring.get(0);
        FrameFlyweight.writeHeader(slot.byteBuffer(), 0, 0, 5, 1, 960);
        slot.buffer().putByte(FrameFlyweight.HEADER_LENGTH, (byte)1);
        slot.length = FrameFlyweight.HEADER_LENGTH + 1;
        slot.sender(new InetSocketAddress("127.0.0.1", 5000));

        assertTrue(agent.onEvent(slot, 0, false), "the poller moves on to the next datagram");
        assertEquals(1, counters.errors(ErrorReason.MALFORMED));
    }

    @Test
    void roomFramesTheMixerCannotTakeAreCountedAsMixerFullNotRingFull()
    {
        final RingBuffer<RelaySlot> ring =
            RingBuffer.createSingleProducer(new RelaySlotFactory(8, 1500), 8, new BusySpinWaitStrategy());
        final MixerLink stalled = new MixerLink(16 * 1024, 16); // nobody drains it: a mixer that has fallen behind
        final RouterAgent agent = new RouterAgent(context(10, RouteJournal.MEMORY_ONLY, new RouteRegistry()), ring,
            new NullSender(), null, new ReceiverProxy(16), stalled, counters);
        final Endpoint source = Endpoint.of(new InetSocketAddress("127.0.0.1", 5000));
        final RouteSpec inRoom = new RouteSpec(6, source,
            List.of(Endpoint.of(new InetSocketAddress("127.0.0.1", 5001))), "room", Deliver.PAYLOAD, 0, false);
        final RouteCommand create = new RouteCommand.Create(inRoom, 0, 0);
        agent.apply(create);
        create.result().join();

        final int pcmBytes = 960; // 5 ms of 48 kHz stereo s16: sixteen fit in the 16 KiB ring, the rest do not
        final int frames = 40;
        for (int seq = 0; seq < frames; seq++)
        {
            final RelaySlot slot = ring.get(seq % 8);
            FrameFlyweight.writeHeader(slot.byteBuffer(), 0, FrameFlyweight.KIND_PCM, 6, seq, seq * 240L);
            slot.buffer().setMemory(FrameFlyweight.HEADER_LENGTH, pcmBytes, (byte)0);
            slot.length = FrameFlyweight.HEADER_LENGTH + pcmBytes;
            slot.sender(new InetSocketAddress("127.0.0.1", 5000));
            agent.onEvent(slot, seq, true);
        }

        final StringBuilder all = new StringBuilder();
        for (final ErrorReason r : ErrorReason.all())
        {
            all.append(r.label()).append('=').append(counters.errors(r)).append(' ');
        }
        final long dropped = counters.errors(ErrorReason.MIXER_FULL);
        assertTrue(dropped > 0 && dropped < frames, "some frames taken, the rest counted: " + all);
        assertEquals(0, counters.errors(ErrorReason.RING_FULL), "ring_full belongs to the receiver alone");
        assertEquals(0, counters.errors(ErrorReason.MALFORMED));
        assertEquals("mixer_full", ErrorReason.MIXER_FULL.label());
    }

    @Test
    void aRestoredRouteKeepsTheIdleTimeItHadAlreadySpent()
    {
        final long now = 50 * SECOND;
        final RouteCommand restore = new RouteCommand.Restore(spec(4), 0, now - TTL_NS + SECOND);
        router.apply(restore);
        assertSame(RouteCommand.Outcome.OK, restore.result().join().outcome());
        assertEquals(List.of(), journal.changes, "a restore writes nothing back");
        assertEquals(0, router.sweep(now));
        assertEquals(1, router.sweep(now + SECOND));
    }
}
