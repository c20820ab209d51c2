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
 * A request the API refuses: the HTTP status to answer, the JSON path of the field at fault (when one is) and a
 * message for a person. The API writes it as {@code {"error": message, "field": field}}.
 * <p>
 * No stack trace is captured: this is an answer to a client, not a fault in the node.
 */
public final class ValidationException extends RuntimeException
{
    /** Status of an invalid request. */
    public static final int BAD_REQUEST = 400;
    /** Status of a request whose body is too large. */
    public static final int PAYLOAD_TOO_LARGE = 413;

    private static final long serialVersionUID = 1L;

    private final String field;
    private final int status;

    /**
     * A 400 error.
     *
     * @param field   JSON path of the field at fault such as {@code target_addrs[2]}, or null.
     * @param message what is wrong, for a person.
     */
    public ValidationException(final String field, final String message)
    {
        this(field, message, BAD_REQUEST);
    }

    /**
     * @param field   JSON path of the field at fault such as {@code target_addrs[2]}, or null.
     * @param message what is wrong, for a person.
     * @param status  HTTP status to answer.
     */
    public ValidationException(final String field, final String message, final int status)
    {
        super(message, null, false, false);
        this.field = field;
        this.status = status;
    }

    /**
     * @return JSON path of the field at fault, or null when the request as a whole is.
     */
    public String field()
    {
        return field;
    }

    /**
     * @return HTTP status: 400, or 413 for a body too large.
     */
    public int status()
    {
        return status;
    }
}
