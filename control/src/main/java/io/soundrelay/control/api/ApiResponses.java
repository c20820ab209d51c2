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
package io.soundrelay.control.api;

import io.soundrelay.core.json.JsonWriter;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;

import java.nio.charset.StandardCharsets;

/**
 * How the control API answers: a JSON body, and every error as {@code {"error": ..., "field": ...}}.
 */
final class ApiResponses
{
    /** The one content type of request and response bodies. */
    static final String JSON = "application/json";

    private static final int MAX_ECHO_LENGTH = 64;

    private ApiResponses()
    {
    }

    /**
     * Answer with a JSON error.
     *
     * @param exchange the request.
     * @param status   HTTP status.
     * @param message  what is wrong, for a person.
     * @param field    the field or header at fault, or null.
     */
    static void error(final HttpServerExchange exchange, final int status, final String message, final String field)
    {
        final JsonWriter w = new JsonWriter();
        w.beginObject().name("error").value(message);
        if (field != null)
        {
            w.name("field").value(field);
        }
        w.endObject();
        exchange.setStatusCode(status);
        if (!exchange.isRequestComplete())
        {
            // Refused before the body was read: close rather than wait to drain a body that may never come, and never
            // parse its rest as the next request on this connection.
            exchange.setPersistent(false);
        }
        send(exchange, w.toJson());
    }

    /**
     * @param exchange the request.
     * @param status   HTTP status.
     * @param w        a complete JSON document.
     */
    static void send(final HttpServerExchange exchange, final int status, final JsonWriter w)
    {
        exchange.setStatusCode(status);
        send(exchange, w.toJson());
    }

    /**
     * @param text text from the request, such as its path or method.
     * @return the text cut to 64 characters, to echo in a message.
     */
    static String truncate(final String text)
    {
        return text.length() <= MAX_ECHO_LENGTH ? text : text.substring(0, MAX_ECHO_LENGTH) + "...";
    }

    private static void send(final HttpServerExchange exchange, final String json)
    {
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, JSON);
        exchange.getResponseSender().send(json, StandardCharsets.UTF_8);
    }
}
