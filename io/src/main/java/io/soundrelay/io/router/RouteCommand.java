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

import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteSpec;

import java.util.concurrent.CompletableFuture;

/**
 * A change to the route table, asked of the router thread by another thread. Made on the asking thread (control
 * plane), applied and answered on the router thread.
 */
public final class RouteCommand
{
    /** What to do. */
    public enum Type
    {
        CREATE, REPLACE, DELETE
    }

    /** How it went. */
    public enum Outcome
    {
        OK, EXISTS, NOT_FOUND, NODE_FULL
    }

    /** The answer: an outcome and the entry concerned (null when there is none). */
    public static final class Result
    {
        private final Outcome outcome;
        private final RouteEntry entry;

        Result(final Outcome outcome, final RouteEntry entry)
        {
            this.outcome = outcome;
            this.entry = entry;
        }

        public Outcome outcome()
        {
            return outcome;
        }

        public RouteEntry entry()
        {
            return entry;
        }
    }

    final Type type;
    final long streamId;
    final RouteSpec spec;
    final long nowEpochMs;
    final CompletableFuture<Result> result = new CompletableFuture<>();

    RouteCommand(final Type type, final long streamId, final RouteSpec spec, final long nowEpochMs)
    {
        this.type = type;
        this.streamId = streamId;
        this.spec = spec;
        this.nowEpochMs = nowEpochMs;
    }

    /**
     * @return completes on the router thread once the command is applied.
     */
    public CompletableFuture<Result> result()
    {
        return result;
    }
}
