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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A subscription that goes silent while its connection stays open (a proxy, a failover that moved the channel, a
 * network that drops it without a word) is noticed by the node's probes and renewed (issue 18). Here a TCP proxy
 * between the node and Redis stops passing what Redis sends on the subscription's connection, and nothing else.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SilentSubscriptionTest
{
    @Test
    void aSubscriptionThatHearsNothingIsRenewed() throws Exception
    {
        try (RedisServer redis = RedisServer.start();
            Proxy proxy = new Proxy(redis.port());
            NodeFixture node = NodeFixture.start(Map.of("REDIS_URL", "redis://127.0.0.1:" + proxy.port(),
                "NODE_ID", "silent")))
        {
            final Proxy.Link subscription = proxy.awaitSubscription();
            final double before = node.metricNow("relay_redis_resubscribes_total");
            subscription.silence();

            // Three heartbeats (3 s each) pass with no probe heard back: the node subscribes again.
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (node.metricNow("relay_redis_resubscribes_total") <= before)
            {
                assertTrue(System.nanoTime() < deadline, "no resubscription within 30 s of the subscription going silent");
                Thread.sleep(50);
            }
            assertEquals("connected", node.health("redis"));
            assertTrue(proxy.subscriptions() >= 2, "a new subscription came through the proxy");
        }
    }

    /** Passes bytes both ways; a connection on which the client sends SUBSCRIBE can be silenced. */
    private static final class Proxy implements AutoCloseable
    {
        private final ServerSocket server;
        private final int target;
        private final List<Link> links = new CopyOnWriteArrayList<>();
        private final Thread acceptor;

        Proxy(final int target) throws Exception
        {
            this.target = target;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            this.acceptor = new Thread(this::accept, "proxy-accept");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port()
        {
            return server.getLocalPort();
        }

        private void accept()
        {
            while (!server.isClosed())
            {
                try
                {
                    final Socket client = server.accept();
                    final Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
                    final Link link = new Link(client, upstream);
                    links.add(link);
                    link.start();
                }
                catch (final Exception ex)
                {
                    return;
                }
            }
        }

        Link awaitSubscription() throws InterruptedException
        {
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (true)
            {
                for (final Link link : links)
                {
                    if (link.subscribed)
                    {
                        return link;
                    }
                }
                assertTrue(System.nanoTime() < deadline, "the node never subscribed through the proxy");
                Thread.sleep(10);
            }
        }

        int subscriptions()
        {
            return (int)links.stream().filter(l -> l.subscribed).count();
        }

        public void close() throws Exception
        {
            server.close();
            for (final Link link : links)
            {
                link.close();
            }
        }

        /** One proxied connection. */
        private static final class Link
        {
            private final Socket client;
            private final Socket upstream;
            volatile boolean subscribed;
            private volatile boolean silent;

            Link(final Socket client, final Socket upstream)
            {
                this.client = client;
                this.upstream = upstream;
            }

            void start()
            {
                pump(client, upstream, true);
                pump(upstream, client, false);
            }

            void silence()
            {
                silent = true;
            }

            private void pump(final Socket from, final Socket to, final boolean fromClient)
            {
                final Thread thread = new Thread(() ->
                {
                    final byte[] buffer = new byte[8192];
                    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream())
                    {
                        int n;
                        while ((n = in.read(buffer)) >= 0)
                        {
                            if (fromClient && new String(buffer, 0, n, StandardCharsets.US_ASCII)
                                .toUpperCase().contains("SUBSCRIBE"))
                            {
                                subscribed = true;
                            }
                            if (fromClient || !silent)
                            {
                                out.write(buffer, 0, n);
                                out.flush();
                            }
                        }
                    }
                    catch (final Exception ignored)
                    {
                        // either side closed
                    }
                    close();
                }, "proxy-pump");
                thread.setDaemon(true);
                thread.start();
            }

            void close()
            {
                try
                {
                    client.close();
                    upstream.close();
                }
                catch (final Exception ignored)
                {
                    // closing anyway
                }
            }
        }
    }
}
