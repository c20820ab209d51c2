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
package io.soundrelay.io.socket;

/**
 * Kernel steering of the main port's SO_REUSEPORT group (PROTOCOL.md section 11): a classic BPF program
 * (SO_ATTACH_REUSEPORT_CBPF) that sends each datagram to the socket of the pipeline owning its stream id or SSRC.
 * Without it, the kernel spreads datagrams over the group by their 4-tuple and the pipelines hand the strays to
 * their owners.
 */
public final class ReuseportSteering
{
    private ReuseportSteering()
    {
    }

    /**
     * Attach the steering program to the group.
     *
     * @param first the group's first socket (pipeline 0's).
     * @param count sockets in the group.
     * @return null when attached, else why steering is off.
     */
    public static String attach(final RelaySocket first, final int count)
    {
        return "steering not built yet";
    }
}
