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

import java.io.IOException;

/**
 * The node answered a control-API request with another status than the documented success: the message has the
 * method, URL, status and body, and the status and body are kept for a hint ({@link LoadgenHints}).
 */
final class NodeRefusedException extends IOException
{
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String body;

    NodeRefusedException(final String message, final int status, final String body)
    {
        super(message);
        this.status = status;
        this.body = body;
    }

    /**
     * @return the HTTP status the node answered.
     */
    int status()
    {
        return status;
    }

    /**
     * @return the body the node answered, possibly empty.
     */
    String body()
    {
        return null == body ? "" : body;
    }
}
