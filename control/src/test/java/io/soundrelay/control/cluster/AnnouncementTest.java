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
package io.soundrelay.control.cluster;

import io.soundrelay.core.protocol.HopKey;
import io.soundrelay.io.router.RouterProxy;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A hand-off's key and grace travel in its {@code migrate} announcement, and the new node's window for HOP frames is
 * derived from that grace.
 */
class AnnouncementTest
{
    @Test
    void aMigrateCarriesItsKeyAndGrace()
    {
        final HopKey key = HopKey.random();
        final Announcement migrate = new Announcement(Announcement.MIGRATE, -2L, "node-b", "node-a", null, Map.of());
        migrate.hopKey = key.toHex();
        migrate.graceMs = 30_000;
        final String json = migrate.toJson();
        assertTrue(json.contains("\"hop_key\":\"" + key.toHex() + "\""), json);

        final Announcement read = Announcement.parse(json);
        assertEquals(-2L, read.streamId);
        assertEquals(key, HopKey.parse(read.hopKey));
        assertEquals(30_000, read.graceMs);
    }

    @Test
    void anAnnouncementWithoutAKeyOrWithoutAGraceHasNone()
    {
        final Announcement plain = Announcement.parse(
            new Announcement(Announcement.MIGRATE, 7, "node-b", "node-a", null, Map.of()).toJson());
        assertNull(plain.hopKey);
        final Announcement noGrace = Announcement.parse(
            "{\"op\":\"migrate\",\"stream_id\":7,\"node_id\":\"node-b\",\"hop_key\":\"00\"}");
        assertNull(noGrace.hopKey);
    }

    @Test
    void theStreamIdIsReadAsANumberOrADecimalStringAndWrittenAsANumber()
    {
        final String written = new Announcement(Announcement.CREATED, Long.parseUnsignedLong("18446744073709551615"),
            "node-b", null, null, Map.of()).toJson();
        assertTrue(written.contains("\"stream_id\":18446744073709551615"), written);
        assertEquals(4726593916199531359L,
            Announcement.parse("{\"op\":\"created\",\"stream_id\":4726593916199531359,\"node_id\":\"b\"}").streamId);
        assertEquals(-1L,
            Announcement.parse("{\"op\":\"created\",\"stream_id\":\"18446744073709551615\",\"node_id\":\"b\"}")
                .streamId);
        for (final String id : new String[] { "\"\"", "\"-1\"", "\"1e3\"", "\"18446744073709551616\"", "true", "1.5" })
        {
            assertNull(Announcement.parse("{\"op\":\"created\",\"stream_id\":" + id + ",\"node_id\":\"b\"}"), id);
        }
    }

    @Test
    void theNewNodesWindowCoversTheGraceAfterTheConfirmationAndNeverExceedsTheRoutersBound()
    {
        assertEquals(TimeUnit.MILLISECONDS.toNanos(30_000 + Cluster.CONFIRM_TIMEOUT_MS + 1000),
            Cluster.hopWindowNs(30_000));
        assertEquals(TimeUnit.MILLISECONDS.toNanos(Cluster.CONFIRM_TIMEOUT_MS + 1000), Cluster.hopWindowNs(-5));
        assertEquals(RouterProxy.MAX_GRACE_NS, Cluster.hopWindowNs(Long.MAX_VALUE));
    }
}
