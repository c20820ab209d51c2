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
package io.soundrelay.io.receive;

import org.agrona.concurrent.Agent;

/**
 * The receive thread's duty cycle: one non-blocking batch from the socket into the ring per call. Stops taking
 * datagrams once {@link #stopReceiving()} is called, so a graceful stop can let the router drain the ring.
 */
public final class ReceiveAgent implements Agent
{
    private final BatchReceiver receiver;
    private volatile boolean receiving = true;

    /**
     * @param receiver owned by this agent's thread from now on.
     */
    public ReceiveAgent(final BatchReceiver receiver)
    {
        this.receiver = receiver;
    }

    public int doWork()
    {
        return receiving ? receiver.receive() : 0;
    }

    /**
     * Take no more datagrams off the socket; any thread may call it.
     */
    public void stopReceiving()
    {
        receiving = false;
        receiver.wake();
    }

    public void onClose()
    {
        receiver.close();
    }

    public String roleName()
    {
        return "soundrelay-receiver";
    }
}
