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

import java.io.IOException;

/**
 * The node refused a route call, or could not be reached. The message names the call, the node's status and what
 * the node said is wrong; it never holds the API key.
 */
public final class SoundRelayRouteException extends IOException
{
    private static final long serialVersionUID = 1L;

    /** {@link #status()} when no HTTP answer came: the node could not be reached or did not answer in time. */
    public static final int NO_ANSWER = 0;

    /** The call's HTTP method. */
    private final String method;
    /** The call's path below the control URL. */
    private final String path;
    /** The node's HTTP status, or {@link #NO_ANSWER}. */
    private final int status;

    SoundRelayRouteException(
        final String method, final String path, final int status, final String message, final Throwable cause)
    {
        super(message, cause);
        this.method = method;
        this.path = path;
        this.status = status;
    }

    /**
     * @return the HTTP method of the call: {@code POST}, {@code PUT}, {@code GET} or {@code DELETE}.
     */
    public String method()
    {
        return method;
    }

    /**
     * @return the path of the call below the control URL, e.g. {@code /route/1234}.
     */
    public String path()
    {
        return path;
    }

    /**
     * @return the node's HTTP status, or {@link #NO_ANSWER}.
     */
    public int status()
    {
        return status;
    }

    /**
     * @return true when trying again later may succeed: no answer, 408, 429 or a 5xx (the node is full, shutting
     *         down or without its Redis for a moment).
     */
    public boolean isTransient()
    {
        return status == NO_ANSWER || status == 408 || status == 429 || status >= 500;
    }
}
