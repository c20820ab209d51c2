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
package io.soundrelay.core.route;

/**
 * Where a sender reports what became of each datagram it was given, once the kernel has answered: a route counts
 * only what was really sent as {@code packets_out}, and its refused sends apart. Called on the sender's thread,
 * which owns the counters behind it.
 */
public interface SendTally
{
    /** Nobody to tell: a datagram that belongs to no route (a room's mix). */
    SendTally NONE = new SendTally()
    {
        public void onSent()
        {
        }

        public void onSendFailed()
        {
        }
    };

    /**
     * The kernel took one datagram.
     */
    void onSent();

    /**
     * The kernel refused one datagram, or it could not be handed to it.
     */
    void onSendFailed();
}
