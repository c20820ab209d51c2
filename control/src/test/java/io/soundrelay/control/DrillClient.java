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

import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import io.soundrelay.control.redis.StoredRoute;

import static io.soundrelay.control.NodeFixture.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Creates a route, replaces every fifth with another target and deletes every third, one call after another,
 * remembering what each answer promised.
 */
final class DrillClient
{
    private final NodeFixture node;
    private final long firstRoute;
    final Map<Long, String> created = new ConcurrentHashMap<>(); // stream id -> its last target
    final Set<Long> deleted = ConcurrentHashMap.newKeySet();
    final AtomicLong calls = new AtomicLong();
    final AtomicLong replaced = new AtomicLong();
    final AtomicLong slowestMs = new AtomicLong();
    final AtomicReference<String> failure = new AtomicReference<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private Thread thread;

    DrillClient(final NodeFixture node, final long firstRoute)
    {
        this.node = node;
        this.firstRoute = firstRoute;
    }

    void start()
    {
        thread = new Thread(this::run, "drill-client");
        thread.start();
    }

    private void run()
    {
        for (long k = 0; running.get() && failure.get() == null; k++)
        {
            final long id = firstRoute + k;
            expect(201, "POST", "/route", body(id, "127.0.0.1:9"));
            created.put(id, "127.0.0.1:9");
            if (k % 5 == 4)
            {
                expect(200, "PUT", "/route/" + id, body(id, "127.0.0.1:10"));
                created.put(id, "127.0.0.1:10");
                replaced.incrementAndGet();
            }
            if (k % 3 == 2)
            {
                final long gone = id - 1;
                expect(204, "DELETE", "/route/" + gone, null);
                created.remove(gone);
                deleted.add(gone);
            }
        }
    }

    private static String body(final long id, final String target)
    {
        return "{\"stream_id\":" + id + ",\"source_addr\":\"127.0.0.1:4\",\"target_addrs\":[\"" + target + "\"]}";
    }

    private void expect(final int status, final String method, final String path, final String body)
    {
        final long start = System.nanoTime();
        try
        {
            final HttpResponse<String> response = node.authed(method, path, body);
            if (response.statusCode() != status)
            {
                failure.compareAndSet(null, method + " " + path + " answered " + response.statusCode() + ": " +
                    response.body());
            }
        }
        catch (final Exception ex)
        {
            failure.compareAndSet(null, method + " " + path + " got no answer: " + ex);
        }
        calls.incrementAndGet();
        slowestMs.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), Math::max);
    }

    void stop() throws InterruptedException
    {
        running.set(false);
        thread.join();
    }

    /**
     * Every call was answered as expected, and Redis (read through {@code get}, a key's value or null) holds exactly
     * what the answers promised: each created route with its last target, none of the deleted ones, on the node too.
     */
    void assertRedisHoldsWhatTheApiSaid(final Function<String, String> get) throws Exception
    {
        assertNull(failure.get(), () -> "an API call failed: " + failure.get());
        waitFor("the reconcile after the failover", () -> created.keySet().stream()
            .allMatch(id -> get.apply(StoredRoute.key(id)) != null));
        for (final long id : deleted)
        {
            assertNull(get.apply(StoredRoute.key(id)), "deleted route " + id + " came back");
            final HttpResponse<String> gone = node.authed("GET", "/route/" + id, null);
            assertEquals(404, gone.statusCode(), "deleted route " + id + ": " + gone.body());
        }
        for (final Map.Entry<Long, String> e : created.entrySet())
        {
            final String stored = get.apply(StoredRoute.key(e.getKey()));
            assertNotNull(stored, "route " + e.getKey());
            assertTrue(stored.contains(e.getValue()), "route " + e.getKey() + " holds its last target: " + stored);
        }
    }

    @Override
    public String toString()
    {
        return calls.get() + " API writes (" + created.size() + " created, " + deleted.size() + " deleted, " +
            replaced.get() + " replaced), slowest answer " + slowestMs.get() + " ms";
    }
}
