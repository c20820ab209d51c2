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

import io.lettuce.core.api.sync.RedisCommands;
import io.soundrelay.control.metrics.RedisOperations;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.io.router.Durability;
import io.soundrelay.io.router.RouteJournal.Change;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write part of the store, alone, against a real redis-server: changes written in order and acknowledged,
 * kept in order while Redis is away and replayed, a full backlog dropped whole and counted with a reconcile owed, a
 * full inbound queue never blocking, and deletes remembered against a re-read.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WriteJournalTest extends RealRedisTest
{
    private static final String NODE = "wj-node";

    private final List<Exception> failures = new ArrayList<>();
    private final List<Long> expired = new ArrayList<>();
    private final WriteJournal.Outcomes outcomes = new WriteJournal.Outcomes()
    {
        public void unavailable(final Exception cause)
        {
            failures.add(cause);
        }

        public void expired(final long streamId)
        {
            expired.add(streamId);
        }

        public RouteEntry current(final long streamId)
        {
            return null;
        }
    };

    private List<WriteJournal.Write> drain(final WriteJournal journal)
    {
        final List<WriteJournal.Write> batch = new ArrayList<>();
        journal.drainTo(batch, 1000);
        return batch;
    }

    @Test
    void changesAreWrittenInOrderAndAcknowledged() throws Exception
    {
        final WriteJournal journal = new WriteJournal(NODE, "300", new RedisOperations(), 64, 64);
        final CompletableFuture<Durability> created = journal.record(Change.CREATED, route(1, "10.0.0.9:1"));
        final CompletableFuture<Durability> replaced = journal.record(Change.REPLACED, route(1, "10.0.0.9:2"));
        final CompletableFuture<Durability> other = journal.record(Change.CREATED, route(2, "10.0.0.9:3"));
        final CompletableFuture<Durability> deleted = journal.record(Change.EXPIRED, route(2, "10.0.0.9:3"));
        assertFalse(created.isDone(), "acknowledged only once Redis has it");

        assertTrue(journal.execute(connection.async(), drain(journal), outcomes));
        assertEquals(Durability.STORED, created.get());
        assertEquals(Durability.STORED, replaced.get());
        assertEquals(Durability.STORED, other.get());
        assertEquals(Durability.STORED, deleted.get());
        final RedisCommands<String, String> cli = redis.cli();
        assertEquals(StoredRoute.encode(route(1, "10.0.0.9:2"), NODE), cli.get("route:1"), "the last change wins");
        assertNull(cli.get("route:2"));
        assertEquals(List.of(2L), expired, "an expiry is announced once its key is gone");
        assertTrue(journal.deletedRecently(2));
        assertFalse(journal.deletedRecently(1));
        assertTrue(failures.isEmpty());
    }

    @Test
    void whileRedisIsAwayWritesWaitInOrderAndAFullBacklogIsDroppedCountedAndOwesAReconcile() throws Exception
    {
        final WriteJournal journal = new WriteJournal(NODE, "300", new RedisOperations(), 64, 4);
        redis.kill();
        final List<CompletableFuture<Durability>> answers = new ArrayList<>();
        for (long id = 1; id <= 3; id++)
        {
            answers.add(journal.record(Change.CREATED, route(id, "10.0.0.9:" + id)));
        }
        assertFalse(journal.execute(connection.async(), drain(journal), outcomes));
        assertEquals(1, failures.size(), "the first failure makes Redis unavailable, once");
        for (final CompletableFuture<Durability> answer : answers)
        {
            assertEquals(Durability.QUEUED, answer.get(), "answered at once: kept for replay");
        }
        assertEquals(3, journal.backlogSize());
        assertFalse(journal.reconcileNeeded());

        // Two more overflow the backlog of 4: it is dropped whole, counted, and a reconcile is owed.
        for (long id = 4; id <= 5; id++)
        {
            for (final WriteJournal.Write w : drain(journal))
            {
                journal.defer(w);
            }
            journal.record(Change.CREATED, route(id, "10.0.0.9:" + id));
            for (final WriteJournal.Write w : drain(journal))
            {
                journal.defer(w);
            }
        }
        assertEquals(4, journal.dropped());
        assertEquals(1, journal.backlogSize());
        assertTrue(journal.reconcileNeeded());
        assertFalse(journal.reconcileNeeded(), "asked once, cleared");

        // Redis returns: the backlog is replayed in order.
        redis.startProcess();
        connection.close();
        connection = client.connect();
        assertEquals(1, journal.replay(connection.async(), outcomes));
        assertEquals(0, journal.backlogSize());
        assertEquals(StoredRoute.encode(route(5, "10.0.0.9:5"), NODE), redis.cli().get("route:5"));
    }

    @Test
    void aFullInboundQueueNeverBlocksTheRouter() throws Exception
    {
        final WriteJournal journal = new WriteJournal(NODE, "300", new RedisOperations(), 2, 64);
        journal.record(Change.CREATED, route(1, "10.0.0.9:1"));
        journal.record(Change.CREATED, route(2, "10.0.0.9:2"));
        final CompletableFuture<Durability> third = journal.record(Change.CREATED, route(3, "10.0.0.9:3"));
        assertEquals(Durability.QUEUED, third.getNow(null), "answered at once, not held");
        assertTrue(journal.reconcileNeeded(), "the next reconcile writes what the dropped change would have");
        assertFalse(journal.refresh(route(1, "10.0.0.9:1")), "an expiry refresh is simply skipped");
    }
}
