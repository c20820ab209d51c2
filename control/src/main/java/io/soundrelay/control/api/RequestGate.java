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

import io.undertow.server.HttpServerExchange;
import io.undertow.util.HeaderValues;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

import java.net.InetSocketAddress;
import java.util.Locale;

/**
 * What the IO thread decides on the headers alone, before a body is read: credentials, the per-address limit on
 * requests without a valid key, and the content type of a body.
 * <p>
 * Credentials: exactly one of {@code Authorization: Bearer <key>} (scheme case-insensitive, RFC 7235) and
 * {@code X-API-Key: <key>}. Two credentials, even two equal ones, are refused with 400: ambiguity never authorizes.
 * A request body, when there is one, is {@code application/json} (optionally {@code charset=utf-8}) or carries no
 * Content-Type; any other Content-Type is refused with 415.
 */
final class RequestGate
{
    private static final HttpString X_API_KEY = new HttpString("X-API-Key");

    private final ApiKeyAuthenticator authenticator;
    private final AuthFailureLog authFailures = new AuthFailureLog();
    private volatile HttpRateLimiter rateLimiter = HttpRateLimiter.UNLIMITED;

    /**
     * @param authenticator API keys, or null when auth is off.
     */
    RequestGate(final ApiKeyAuthenticator authenticator)
    {
        this.authenticator = authenticator;
    }

    void rateLimiter(final HttpRateLimiter rateLimiter)
    {
        this.rateLimiter = rateLimiter;
    }

    AuthFailureLog authFailures()
    {
        return authFailures;
    }

    /**
     * A request to an endpoint open to anyone: limited per address unless it carries a valid key.
     *
     * @param exchange the request.
     * @return true when it may go on; false when it was refused (and answered).
     */
    boolean admitOpen(final HttpServerExchange exchange)
    {
        return hasValidKey(exchange) || !limited(exchange, rateLimiter, HttpRateLimiter.Reason.UNAUTHENTICATED);
    }

    /**
     * @param exchange the request.
     * @return true when it carries one valid credential (or auth is off); false when it was refused (and answered).
     */
    boolean isAuthorized(final HttpServerExchange exchange)
    {
        if (authenticator == null)
        {
            return true;
        }
        final HeaderValues authorization = exchange.getRequestHeaders().get(Headers.AUTHORIZATION);
        final HeaderValues apiKey = exchange.getRequestHeaders().get(X_API_KEY);
        if (credentials(authorization, apiKey) > 1)
        {
            if (limited(exchange, rateLimiter, HttpRateLimiter.Reason.AUTH_FAILED))
            {
                return false;
            }
            final String field = authorization != null && authorization.size() > 1 ? "Authorization" : "X-API-Key";
            ApiResponses.error(exchange, 400,
                "more than one credential: send one Authorization: Bearer <key> or one X-API-Key", field);
            return false;
        }
        if (!isValidKey(authorization, apiKey))
        {
            final InetSocketAddress source = exchange.getSourceAddress();
            authFailures.failed(source == null ? null : source.getAddress(), System.nanoTime());
            if (limited(exchange, rateLimiter, HttpRateLimiter.Reason.AUTH_FAILED))
            {
                return false;
            }
            exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer");
            ApiResponses.error(exchange, 401, "missing or invalid API key (Authorization: Bearer <key> or X-API-Key)",
                null);
            return false;
        }
        return true;
    }

    /**
     * Spend a token of the client address's bucket; when there is none, answer 429 with Retry-After.
     *
     * @param exchange the request.
     * @param limiter  the buckets.
     * @param reason   what kind of request it is.
     * @return true when the request was refused (and answered).
     */
    static boolean limited(
        final HttpServerExchange exchange, final HttpRateLimiter limiter, final HttpRateLimiter.Reason reason)
    {
        final InetSocketAddress source = exchange.getSourceAddress();
        final long retryAfterS =
            limiter.acquire(source == null ? null : source.getAddress(), reason, System.nanoTime());
        if (retryAfterS == 0)
        {
            return false;
        }
        exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Long.toString(retryAfterS));
        ApiResponses.error(exchange, 429, reason == HttpRateLimiter.Reason.AUTH_FAILED ?
            "too many failed authentications from this address; try again in " + retryAfterS + " s" :
            "too many requests without an API key from this address (UNAUTH_RATE_PER_SECOND); try again in " +
            retryAfterS + " s", null);
        return true;
    }

    /**
     * @param exchange the request.
     * @return true when the body is declared JSON in UTF-8, or not declared at all.
     */
    static boolean isJsonContentType(final HttpServerExchange exchange)
    {
        final HeaderValues values = exchange.getRequestHeaders().get(Headers.CONTENT_TYPE);
        if (values == null || values.isEmpty())
        {
            return true;
        }
        if (values.size() > 1)
        {
            return false;
        }
        final String[] parts = values.getFirst().split(";", -1);
        if (!ApiResponses.JSON.equals(parts[0].strip().toLowerCase(Locale.ROOT)))
        {
            return false;
        }
        for (int i = 1; i < parts.length; i++)
        {
            final String parameter = parts[i].strip().toLowerCase(Locale.ROOT).replace("\"", "");
            if (!parameter.isEmpty() && !parameter.equals("charset=utf-8"))
            {
                return false;
            }
        }
        return true;
    }

    /**
     * @return whether the request carries exactly one credential and it is a valid key (auth off: always).
     */
    private boolean hasValidKey(final HttpServerExchange exchange)
    {
        if (authenticator == null)
        {
            return true;
        }
        final HeaderValues authorization = exchange.getRequestHeaders().get(Headers.AUTHORIZATION);
        final HeaderValues apiKey = exchange.getRequestHeaders().get(X_API_KEY);
        return credentials(authorization, apiKey) == 1 && isValidKey(authorization, apiKey);
    }

    private static int credentials(final HeaderValues authorization, final HeaderValues apiKey)
    {
        return (authorization == null ? 0 : authorization.size()) + (apiKey == null ? 0 : apiKey.size());
    }

    /** Constant time, whichever header carries the key (see {@link ApiKeyAuthenticator}). */
    private boolean isValidKey(final HeaderValues authorization, final HeaderValues apiKey)
    {
        return authenticator.isAuthorized(
            authorization == null ? null : authorization.getFirst(), apiKey == null ? null : apiKey.getFirst());
    }
}
