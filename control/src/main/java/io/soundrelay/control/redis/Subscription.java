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

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.control.metrics.RedisOperations.Op;
import io.soundrelay.control.metrics.RedisOperations.Result;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The node's subscription to the announcement channel ({@link RedisRouteStore#CHANNEL}), a part the store drives on
 * its thread: it (re)subscribes when {@link #needed()}, hands over the announcements it queued with {@link #poll()},
 * and gives the store a probe to publish every heartbeat ({@link #probe()}). Lettuce's thread only queues.
 * <p>
 * A subscription is renewed when its connection closed, when Redis ended it (a sharded subscription whose slot
 * moved), when its queue overflowed, and when it has not echoed this node's own probes: the case a failover, a
 * proxy or a dead network leaves behind without a word. Each renewal after the first is counted; the store re-reads
 * what the node owns after each, so nothing missed meanwhile is lost.
 */
final class Subscription
{
    /** A probe: {"op":"probe","node_id":…,"instance":…,"n":…}; never an announcement. */
    static final String PROBE_PREFIX = "{\"op\":\"probe\",";
    /** Probes that may go unheard (a heartbeat interval each); one more unheard renews the subscription. */
    static final int PROBES_MISSED = 2;

    private static final Logger LOG = LoggerFactory.getLogger(Subscription.class);

    private final Supplier<StatefulRedisPubSubConnection<String, String>> connector;
    private final boolean sharded;
    private final String channel;
    private final String ownProbePrefix;
    private final RedisOperations operations;
    private final ManyToOneConcurrentArrayQueue<String> messages;
    private final AtomicBoolean renew = new AtomicBoolean();
    /** Written by the store's thread, read by Lettuce's: messages of a connection already replaced are dropped. */
    private volatile StatefulRedisPubSubConnection<String, String> connection;
    private boolean subscribedOnce;
    private volatile long resubscribes;
    private long probesSent;
    private volatile long probeEchoed;

    /**
     * @param connector  opens a pub/sub connection (on a cluster, with node message propagation on).
     * @param sharded    SSUBSCRIBE (a cluster) instead of SUBSCRIBE.
     * @param channel    the channel.
     * @param nodeId     this node, for its probes.
     * @param instanceId this process, for its probes (another process with the node id does not echo them).
     * @param operations counts subscriptions and dropped messages.
     * @param capacity   announcements queued for the store's thread; one more renews the subscription.
     */
    Subscription(
        final Supplier<StatefulRedisPubSubConnection<String, String>> connector,
        final boolean sharded,
        final String channel,
        final String nodeId,
        final String instanceId,
        final RedisOperations operations,
        final int capacity)
    {
        this.connector = connector;
        this.sharded = sharded;
        this.channel = channel;
        this.ownProbePrefix =
            PROBE_PREFIX + "\"node_id\":\"" + nodeId + "\",\"instance\":\"" + instanceId + "\",\"n\":";
        this.operations = operations;
        this.messages = new ManyToOneConcurrentArrayQueue<>(capacity);
    }

    /**
     * @return whether the store should {@link #subscribe()} now: none yet, its connection closed, or it was asked to
     * renew it.
     */
    boolean needed()
    {
        return connection == null || !connection.isOpen() || renew.getAndSet(false);
    }

    /**
     * Subscribe on a new connection, dropping the old one and whatever it had queued (the store re-reads after).
     */
    void subscribe() throws Exception
    {
        close();
        messages.clear();
        final StatefulRedisPubSubConnection<String, String> sub = connector.get();
        sub.addListener(new RedisPubSubAdapter<>()
        {
            public void message(final String channel, final String message)
            {
                if (connection == sub)
                {
                    received(message);
                }
            }

            public void smessage(final String shardChannel, final String message)
            {
                if (connection == sub)
                {
                    received(message);
                }
            }

            public void sunsubscribed(final String shardChannel, final long count)
            {
                // Redis ends a sharded subscription when the channel's slot moves (resharding, failover).
                if (connection == sub)
                {
                    renew.set(true);
                }
            }
        });
        connection = sub;
        try
        {
            RedisRouteStore.await(sharded ? sub.async().ssubscribe(channel) : sub.async().subscribe(channel));
            probeEchoed = probesSent; // a fresh subscription owes no echo for probes sent before it
            operations.add(Op.SUBSCRIBE, Result.OK);
            if (subscribedOnce)
            {
                resubscribes++; // the store's thread is the only writer
            }
            LOG.debug("{} to Redis channel {}", subscribedOnce ? "subscribed again" : "subscribed", channel);
            subscribedOnce = true;
        }
        catch (final Exception ex)
        {
            operations.add(Op.SUBSCRIBE, Result.ERROR);
            throw ex;
        }
    }

    /** On Lettuce's thread: a probe of this process's own is its echo; other probes are dropped; the rest queued. */
    private void received(final String message)
    {
        if (message.startsWith(PROBE_PREFIX))
        {
            if (message.startsWith(ownProbePrefix) && message.endsWith("}"))
            {
                try
                {
                    probeEchoed = Long.parseLong(message.substring(ownProbePrefix.length(), message.length() - 1));
                }
                catch (final NumberFormatException ignored)
                {
                    // not one of ours after all
                }
            }
            return;
        }
        if (!messages.offer(message))
        {
            operations.add(Op.SUBSCRIBE, Result.DROPPED);
            renew.set(true);
        }
    }

    /**
     * @return the next announcement queued, or null.
     */
    String poll()
    {
        return messages.poll();
    }

    /**
     * Called every heartbeat.
     *
     * @return the probe to publish on the channel now, or null: not subscribed, or the last probes went unheard and
     * the subscription is to be renewed instead.
     */
    String probe()
    {
        if (connection == null)
        {
            return null;
        }
        if (probesSent - probeEchoed > PROBES_MISSED)
        {
            LOG.warn("the subscription to {} did not echo this node's last {} probes: subscribing again", channel,
                probesSent - probeEchoed);
            renew.set(true);
            return null;
        }
        probesSent++;
        return ownProbePrefix + probesSent + "}";
    }

    /**
     * @return whether every probe handed out so far has been heard back.
     */
    boolean echoedAll()
    {
        return probeEchoed >= probesSent;
    }

    /**
     * @return whether a subscription was ever confirmed: until then the node misses announcements.
     */
    boolean subscribedOnce()
    {
        return subscribedOnce;
    }

    /**
     * @return subscriptions after the first.
     */
    long resubscribes()
    {
        return resubscribes;
    }

    /** Drops the connection without waiting (Redis is away; a new one is made when it returns). */
    void close()
    {
        if (connection != null)
        {
            connection.closeAsync();
            connection = null;
        }
    }

    /** Closes the connection and waits for it: the store is stopping. */
    void closeNow()
    {
        if (connection != null)
        {
            try
            {
                connection.close();
            }
            catch (final RuntimeException ex)
            {
                LOG.debug("closing the Redis subscription: {}", ex.getMessage());
            }
            connection = null;
        }
    }
}
