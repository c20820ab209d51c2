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
package io.soundrelay.control.api;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Failed authentications are followed per address in a bounded map: a client rotating its source address fills it
 * to {@link AuthFailureLog#MAX_ADDRESSES} and no further, and every window is forgotten once its line is written.
 */
class AuthFailureLogTest
{
    @Test
    void rotatingSourceAddressesCannotGrowTheMapPastItsCap() throws Exception
    {
        final AuthFailureLog log = new AuthFailureLog();
        final long start = System.nanoTime();
        for (int i = 0; i < 3 * AuthFailureLog.MAX_ADDRESSES; i++)
        {
            log.failed(InetAddress.getByAddress(new byte[] {10, (byte)(i >> 16), (byte)(i >> 8), (byte)i}), start);
        }
        assertEquals(AuthFailureLog.MAX_ADDRESSES, log.followed());
        log.flush(start + TimeUnit.SECONDS.toNanos(AuthFailureLog.WINDOW_S) - 1);
        assertEquals(AuthFailureLog.MAX_ADDRESSES, log.followed(), "no line before the window is over");
        log.flush(start + TimeUnit.SECONDS.toNanos(AuthFailureLog.WINDOW_S));
        assertEquals(0, log.followed(), "each window's line written, and the window forgotten");
    }
}
