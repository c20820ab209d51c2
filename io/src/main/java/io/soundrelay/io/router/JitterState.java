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
import io.soundrelay.io.jitter.JitterBuffer;

/**
 * A route's jitter buffer as the router keeps it: attached to the {@link RouteEntry}, and on the router's list of
 * buffers holding datagrams while it holds any. Router thread only.
 */
final class JitterState
{
    final RouteEntry entry;
    JitterBuffer buffer;
    int jitterMs;
    /** Position in the router's list of buffers that hold datagrams, or -1. */
    int activeIndex = -1;

    JitterState(final RouteEntry entry, final JitterBuffer buffer, final int jitterMs)
    {
        this.entry = entry;
        this.buffer = buffer;
        this.jitterMs = jitterMs;
    }
}
