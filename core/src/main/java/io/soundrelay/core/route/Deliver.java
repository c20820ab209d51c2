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
 * What a target receives of a SoundRelay frame. RTP datagrams are always sent byte for byte.
 */
public enum Deliver
{
    /** Only the bytes after the 20-byte header: for a Discord voice server, the RTP packet the bot built. */
    PAYLOAD("payload"),
    /** The whole frame, header included: for another relay or a client that wants sequence and timestamp. */
    FRAMED("framed");

    private final String wireName;

    Deliver(final String wireName)
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
    public static Deliver fromWireName(final String name)
    {
        for (final Deliver d : values())
        {
            if (d.wireName.equals(name))
            {
                return d;
            }
        }
        return null;
    }
}
