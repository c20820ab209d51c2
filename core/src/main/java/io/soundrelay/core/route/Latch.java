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
 * How a route whose {@code source_addr} has port 0 learns its source's port: the route option {@code "latch"}.
 * See {@link io.soundrelay.protocol.IpDiscovery} for the request that latches a {@link #DISCOVERY} route.
 */
public enum Latch
{
    /** The first datagram from the source's IP latches its port (the default, as before the option existed). */
    FIRST("first"),
    /**
     * Only a Discord IP discovery request carrying the route's SSRC (its stream id's low 32 bits) latches; anything
     * else from the source's IP before then is dropped as {@code not_latched}.
     */
    DISCOVERY("discovery");

    private final String wireName;

    Latch(final String wireName)
    {
        this.wireName = wireName;
    }

    /**
     * @return the name used in JSON.
     */
    public String wireName()
    {
        return wireName;
    }

    /**
     * @param name as written in JSON.
     * @return the value, or null when the name is not one of them.
     */
    public static Latch fromWireName(final String name)
    {
        for (final Latch l : values())
        {
            if (l.wireName.equals(name))
            {
                return l;
            }
        }
        return null;
    }

    /**
     * @param streamId a route's stream id.
     * @return the SSRC its RTP carries: the low 32 bits (an RTP route's stream id is its SSRC).
     */
    public static long ssrcOf(final long streamId)
    {
        return streamId & 0xFFFF_FFFFL;
    }
}
