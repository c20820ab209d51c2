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

/**
 * Where a route change ended up once the {@link RouteJournal} took it: written to the shared store, queued there
 * for replay because the store is unreachable, kept in memory only (no store configured), or refused by the store
 * because another node owns the stream.
 */
public final class Durability
{
    /** How a change was kept. */
    public enum Kind
    {
        /** Written to the store before the answer. */
        STORED,
        /** The store is unreachable: queued in order, replayed and reconciled when it comes back. */
        QUEUED,
        /** No store configured: memory only. */
        MEMORY_ONLY,
        /** The store holds the stream for another node; nothing was written. */
        CONFLICT
    }

    public static final Durability STORED = new Durability(Kind.STORED, null);
    public static final Durability QUEUED = new Durability(Kind.QUEUED, null);
    public static final Durability MEMORY_ONLY = new Durability(Kind.MEMORY_ONLY, null);

    private final Kind kind;
    private final String owner;

    private Durability(final Kind kind, final String owner)
    {
        this.kind = kind;
        this.owner = owner;
    }

    /**
     * @param owner the node id the store names as the stream's owner.
     * @return a conflict naming that owner.
     */
    public static Durability conflict(final String owner)
    {
        return new Durability(Kind.CONFLICT, owner);
    }

    public Kind kind()
    {
        return kind;
    }

    /**
     * @return the other owner for {@link Kind#CONFLICT}, else null.
     */
    public String owner()
    {
        return owner;
    }

    public String toString()
    {
        return owner == null ? kind.name() : kind.name() + "(" + owner + ")";
    }
}
