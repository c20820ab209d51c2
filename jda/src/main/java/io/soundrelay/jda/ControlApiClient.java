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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * The calls of the control API this module makes (PROTOCOL.md section 2), each bounded by a timeout. Blocking: it
 * runs on a send system's control thread, never on the send thread.
 */
final class ControlApiClient
{
    private static final int MAX_QUOTED_BODY = 200;

    private final HttpClient http;
    private final String base;
    private final String apiKey;
    private final Duration timeout;

    /**
     * @param http    the client, shared by a factory's send systems.
     * @param base    the control URL without a trailing slash, e.g. {@code http://127.0.0.1:4300}.
     * @param apiKey  sent as {@code Authorization: Bearer}, or null for none. Never put in a message.
     * @param timeout for each whole request.
     */
    ControlApiClient(final HttpClient http, final String base, final String apiKey, final Duration timeout)
    {
        this.http = http;
        this.base = base;
        this.apiKey = apiKey;
        this.timeout = timeout;
    }

    /**
     * A status and body from the node.
     *
     * @param status the HTTP status.
     * @param body   the body, possibly empty.
     */
    record Answer(int status, String body)
    {
    }

    /**
     * @param method {@code GET}, {@code POST}, {@code PUT} or {@code DELETE}.
     * @param path   below the control URL, starting with a slash.
     * @param body   JSON for POST and PUT, else null.
     * @return whatever the node answered, whatever its status.
     * @throws SoundRelayRouteException with {@link SoundRelayRouteException#NO_ANSWER} when there was no answer.
     * @throws InterruptedException     when the thread was interrupted while waiting.
     */
    Answer call(final String method, final String path, final String body)
        throws SoundRelayRouteException, InterruptedException
    {
        final HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
            .timeout(timeout)
            .method(method, null == body ?
                HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (null != body)
        {
            request.header("Content-Type", "application/json");
        }
        if (null != apiKey)
        {
            request.header("Authorization", "Bearer " + apiKey);
        }
        try
        {
            final HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Answer(response.statusCode(), response.body());
        }
        catch (final IOException ex)
        {
            // HttpClient's ConnectException and timeouts often have no message: name the failure here.
            throw new SoundRelayRouteException(method, path, SoundRelayRouteException.NO_ANSWER,
                scrub(method + " " + path + ": no answer from the node at " + base + " (" + ex + ")"), ex);
        }
    }

    /**
     * @param method the call's method.
     * @param path   the call's path.
     * @param answer the node's answer that the caller did not expect.
     * @return the exception that reports it: the call, the status and the node's {@code "error"}.
     */
    SoundRelayRouteException refused(final String method, final String path, final Answer answer)
    {
        String said = Json.errorMessage(answer.body());
        if (null == said)
        {
            final String body = answer.body().strip();
            said = body.length() > MAX_QUOTED_BODY ? body.substring(0, MAX_QUOTED_BODY) + "..." : body;
        }
        return new SoundRelayRouteException(method, path, answer.status(), scrub(
            method + " " + path + ": the node at " + base + " answered " + answer.status() +
            (said.isEmpty() ? "" : ": " + said)), null);
    }

    /**
     * @return the control URL this client calls.
     */
    String base()
    {
        return base;
    }

    private String scrub(final String message)
    {
        return null == apiKey || apiKey.isEmpty() ? message : message.replace(apiKey, "<api key>");
    }
}
