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
package io.soundrelay.control.redis;

import io.soundrelay.control.metrics.RedisOperations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The subscription part of the store, alone, against a real redis-server: announcements queued in order, its own
 * probes heard and others' dropped, renewal when probes go unheard, when the queue overflows and when the
 * connection dies, and the count of renewals.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SubscriptionTest extends RealRedisTest
{
    private static final String CHANNEL = "soundrelay:routes";


    private Subscription subscription(final int capacity)
    {
        final Supplier<io.lettuce.core.pubsub.StatefulRedisPubSubConnection<String, String>> connector =
            client::connectPubSub;
        return new Subscription(connector, false, CHANNEL, "node-s", "instance-1", new RedisOperations(), capacity);
    }

    private List<String> drain(final Subscription s, final int expected) throws InterruptedException
    {
        final List<String> got = new ArrayList<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (got.size() < expected)
        {
            final String m = s.poll();
            if (m != null)
            {
                got.add(m);
            }
            else
            {
                assertTrue(System.nanoTime() < deadline, "only " + got + " of " + expected + " within 10 s");
                Thread.sleep(2);
            }
        }
        return got;
    }

    @Test
    void queuesAnnouncementsInOrderAndDropsProbes() throws Exception
    {
        final Subscription s = subscription(64);
        assertTrue(s.needed());
        s.subscribe();
        assertFalse(s.needed());
        redis.cli().publish(CHANNEL, "{\"op\":\"probe\",\"node_id\":\"other\",\"instance\":\"x\",\"n\":1}");
        for (int i = 0; i < 5; i++)
        {
            redis.cli().publish(CHANNEL, "{\"op\":\"created\",\"stream_id\":" + i + "}");
        }
        final List<String> got = drain(s, 5);
        for (int i = 0; i < 5; i++)
        {
            assertEquals("{\"op\":\"created\",\"stream_id\":" + i + "}", got.get(i));
        }
        assertNull(s.poll(), "another node's probe is not an announcement");
        assertEquals(0, s.resubscribes());
        s.closeNow();
    }

    @Test
    void aSubscriptionThatHearsItsProbesStaysAndOneThatDoesNotIsRenewed() throws Exception
    {
        final Subscription s = subscription(64);
        s.subscribe();
        // Published and heard back, probe after probe: the subscription stays.
        for (int i = 0; i < 5; i++)
        {
            final String probe = s.probe();
            assertNotNull(probe);
            redis.cli().publish(CHANNEL, probe);
            waitUntilEchoed(s);
        }
        assertFalse(s.needed());
        // Then nothing comes back: three probes unheard renew it.
        assertNotNull(s.probe()); // 1 unheard
        assertNotNull(s.probe()); // 2 unheard
        assertNotNull(s.probe()); // 3 unheard: the next check renews
        assertNull(s.probe(), "a subscription that echoes nothing is not probed further");
        assertTrue(s.needed());
        s.subscribe();
        assertEquals(1, s.resubscribes());
        assertNotNull(s.probe(), "a fresh subscription owes no echo for earlier probes");
        s.closeNow();
    }

    /** Polls until the probes published so far have come back (the next probe() would not renew). */
    private static void waitUntilEchoed(final Subscription s) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!s.echoedAll())
        {
            assertTrue(System.nanoTime() < deadline, "own probes not heard back within 5 s");
            Thread.sleep(2);
        }
    }

    @Test
    void aFullQueueAndALostConnectionRenewTheSubscription() throws Exception
    {
        final Subscription s = subscription(4);
        s.subscribe();
        for (int i = 0; i < 6; i++)
        {
            redis.cli().publish(CHANNEL, "{\"op\":\"created\",\"stream_id\":" + i + "}");
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!s.needed())
        {
            assertTrue(System.nanoTime() < deadline, "a full queue did not ask for renewal");
            Thread.sleep(2);
        }
        s.subscribe();
        assertNull(s.poll(), "what the old subscription queued is dropped: the store re-reads instead");
        assertEquals(1, s.resubscribes());

        redis.cli().clientKill(io.lettuce.core.KillArgs.Builder.typePubsub());
        final long killed = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!s.needed())
        {
            assertTrue(System.nanoTime() < killed, "a killed connection did not ask for renewal");
            Thread.sleep(2);
        }
        s.subscribe();
        assertEquals(2, s.resubscribes());
        redis.cli().publish(CHANNEL, "{\"op\":\"deleted\",\"stream_id\":9}");
        assertEquals(List.of("{\"op\":\"deleted\",\"stream_id\":9}"), drain(s, 1));
        s.closeNow();
    }
}
