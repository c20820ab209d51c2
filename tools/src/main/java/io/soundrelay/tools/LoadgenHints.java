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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What to try next when the node refused a run: a 401 names where the key comes from, a 503 at capacity how many
 * routes the node holds and what to change. A run where nothing arrived gets its hint from
 * {@link GeneratorSummary#nothingArrivedHint(GeneratorResult)}.
 */
final class LoadgenHints
{
    // The node's 503 at capacity: "node is at MAX_STREAMS_PER_NODE=1000: it holds 1000 route(s) ...".
    private static final Pattern FULL = Pattern.compile("MAX_STREAMS_PER_NODE=(\\d+): it holds (\\d+)");
    private static final Duration HEALTH_TIMEOUT = Duration.ofSeconds(2);

    private LoadgenHints()
    {
    }

    /**
     * @param ex       why the run could not run.
     * @param options  the run's options.
     * @param created  routes this run had created when the node refused the next one (deleted since).
     * @return the hint, one or more lines starting with {@code hint:}, or null when there is none.
     */
    static String forFailure(final IOException ex, final GeneratorOptions options, final int created)
    {
        if (!(ex instanceof NodeRefusedException refused))
        {
            return null;
        }
        return switch (refused.status())
        {
            case 401 -> unauthorized(options);
            case 503 -> full(refused.body(), options, created);
            default -> null;
        };
    }

    private static String unauthorized(final GeneratorOptions options)
    {
        final boolean keyGiven = null != options.apiKey() && !options.apiKey().isBlank();
        return "hint: the node wants an API key " + (keyGiven ? "and refused the one given" : "and none was given") +
            ". Give it with --api-key KEY or the " + LoadgenCommand.API_KEY_ENV + " environment variable: one of " +
            "the keys in the node's API_KEYS.";
    }

    private static String full(final String body, final GeneratorOptions options, final int created)
    {
        // Another 503 (a draining node) says what is wrong itself.
        long max = -1;
        long held = -1;
        final Matcher matcher = FULL.matcher(body);
        if (matcher.find())
        {
            max = Long.parseLong(matcher.group(1));
            held = Long.parseLong(matcher.group(2));
        }
        else if (body.contains("MAX_STREAMS_PER_NODE"))
        {
            // An older node's 503 names the limit only: its count is in GET /health.
            held = activeRoutes(options.api());
        }
        if (held < 0)
        {
            return null;
        }
        final long others = Math.max(0, held - created);
        final StringBuilder hint = new StringBuilder("hint: the node is full: it held " + held + " routes");
        if (max >= 0)
        {
            hint.append(" of MAX_STREAMS_PER_NODE=").append(max);
        }
        hint.append(" when it refused, ").append(created).append(" of them this run's (deleted since), ")
            .append(others).append(" from elsewhere.");
        final long fit = max >= 0 ? Math.max(0, max - others) : -1;
        if (0 == fit)
        {
            // Fewer streams would not help: only routes from elsewhere fill the node.
            hint.append(" No stream fits now: delete routes no one uses (GET /routes lists them, DELETE /route/ID ")
                .append("deletes one), or run against another node.");
            return hint.toString();
        }
        if (fit > 0)
        {
            hint.append(" At most ").append(fit).append(" streams fit now:");
        }
        hint.append(" run fewer --streams (this run asked for ").append(options.streams()).append("), or delete ")
            .append("routes no one uses (GET /routes lists them, DELETE /route/ID deletes one).");
        return hint.toString();
    }

    /**
     * @return the node's active_routes from GET /health (no key needed), or -1 when it cannot be read.
     */
    private static long activeRoutes(final URI api)
    {
        try
        {
            final HttpResponse<String> response = HttpClient.newBuilder().connectTimeout(HEALTH_TIMEOUT).build()
                .send(HttpRequest.newBuilder(api.resolve("/health")).timeout(HEALTH_TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            return 200 == response.statusCode() ? Json.findCount(response.body(), "active_routes") : -1;
        }
        catch (final IOException ex)
        {
            return -1;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return -1;
        }
    }
}
