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
package io.soundrelay.jda;

import java.net.InetSocketAddress;

/**
 * What a route of a send system must be: its stream (the RTP SSRC, unsigned) and the voice server it goes to.
 *
 * @param streamId the SSRC of the connection's packets, 1 to 2^32 - 1.
 * @param target   the voice server address JDA gives, resolved.
 */
record RouteKey(long streamId, InetSocketAddress target)
{
    /**
     * @return the route's path in the control API.
     */
    String path()
    {
        return "/route/" + Long.toUnsignedString(streamId);
    }
}
