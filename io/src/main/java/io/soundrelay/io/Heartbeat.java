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
package io.soundrelay.io;

import org.agrona.concurrent.Agent;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A data-plane thread's agent with the time its last duty cycle finished (PROTOCOL.md section 12, {@code /livez}):
 * written by that thread once per cycle (one clock read and an ordered store, per batch, never per datagram), read by
 * any thread. An idle thread still finishes a cycle at least every wait (RECEIVE_WAIT_MS), so a thread whose last
 * cycle is seconds old is stuck, not idle.
 */
final class Heartbeat implements Agent
{
    private final Agent agent;
    private final String thread;
    private final AtomicLong lastCycleNs = new AtomicLong(System.nanoTime());

    /**
     * @param agent  the role's agent.
     * @param thread the name of the thread that runs it, for a person.
     */
    Heartbeat(final Agent agent, final String thread)
    {
        this.agent = agent;
        this.thread = thread;
    }

    @Override
    public void onStart()
    {
        agent.onStart();
        lastCycleNs.lazySet(System.nanoTime());
    }

    @Override
    public int doWork() throws Exception
    {
        final int work = agent.doWork();
        lastCycleNs.lazySet(System.nanoTime());
        return work;
    }

    @Override
    public void onClose()
    {
        agent.onClose();
    }

    @Override
    public String roleName()
    {
        return agent.roleName();
    }

    /**
     * @return the thread's name.
     */
    String thread()
    {
        return thread;
    }

    /**
     * @param nowNs {@link System#nanoTime()} now.
     * @return nanoseconds since the thread last finished a duty cycle.
     */
    long sinceLastCycleNs(final long nowNs)
    {
        return nowNs - lastCycleNs.get();
    }
}
