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

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Turns Ctrl-C (or SIGTERM) into a request to stop that a command's loop polls, so it still cleans up and reports:
 * the JVM's shutdown waits, at most {@link #GRACE_MS}, for {@link #close()}.
 */
final class StopSignal implements AutoCloseable
{
    static final long GRACE_MS = 5_000;

    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook = new Thread(this::onShutdown, "soundrelay-wav-stop");
    private volatile boolean stopRequested;

    StopSignal()
    {
        Runtime.getRuntime().addShutdownHook(hook);
    }

    boolean stopRequested()
    {
        return stopRequested;
    }

    /**
     * The command has cleaned up: let the JVM exit, or stop watching for a shutdown.
     */
    public void close()
    {
        finished.countDown();
        try
        {
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        catch (final IllegalStateException shuttingDown)
        {
            // the hook is running; it returns now that finished is counted down
        }
    }

    private void onShutdown()
    {
        stopRequested = true;
        try
        {
            finished.await(GRACE_MS, TimeUnit.MILLISECONDS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
