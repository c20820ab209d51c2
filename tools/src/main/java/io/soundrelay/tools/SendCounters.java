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
package io.soundrelay.tools;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the senders sent, and the echoes the sinks could not send back. The totals are read live for progress lines;
 * {@link #sentPerStream} has one writer per element (the stream's sender thread) and is read once the senders have
 * been joined.
 */
final class SendCounters
{
    final LongAdder sent = new LongAdder();
    final LongAdder strangerSent = new LongAdder();
    final LongAdder sendErrors = new LongAdder();
    /** Echoes the sinks' sockets did not take (--echo): those datagrams cannot come back. */
    final LongAdder echoErrors = new LongAdder();
    final long[] sentPerStream;

    SendCounters(final int streams)
    {
        sentPerStream = new long[streams];
    }
}
