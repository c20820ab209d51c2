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
package io.soundrelay.io.mix;

import io.soundrelay.core.route.Endpoint;
import io.soundrelay.core.status.ErrorReason;
import org.agrona.DirectBuffer;

/**
 * Where a {@link RoomMixer} puts the datagrams it produces. Called on the mixer thread only, from
 * {@link RoomMixer#onFrame} and {@link RoomMixer#poll(long)}.
 */
@FunctionalInterface
public interface MixOutput
{
    /**
     * Send one finished output datagram (a whole SoundRelay frame: 20-byte header + payload) to target.
     * The implementation copies the bytes before returning: the mixer reuses the buffer for the next datagram.
     *
     * @param buffer holding the frame.
     * @param offset at which the frame starts.
     * @param length of the whole frame, header included.
     * @param target address to send it to.
     */
    void send(DirectBuffer buffer, int offset, int length, Endpoint target);

    /**
     * Count datagrams the mixer did not make: {@link ErrorReason#MIXER_BUDGET} for mix-minus outputs left out over
     * the encode budget (one per target). Ignored by default.
     *
     * @param reason    why.
     * @param datagrams how many.
     */
    default void dropped(ErrorReason reason, int datagrams)
    {
    }
}
