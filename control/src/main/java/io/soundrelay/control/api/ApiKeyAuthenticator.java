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

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Checks an API key against the configured ones in constant time: both sides are hashed to 32 bytes first, so the
 * comparison takes the same time whatever the key's length or content, and every configured key is compared
 * (no early exit). Keys are held only as digests and never logged.
 */
public final class ApiKeyAuthenticator
{
    private final byte[][] keyDigests;

    /**
     * @param apiKeys accepted keys; at least one.
     */
    public ApiKeyAuthenticator(final List<String> apiKeys)
    {
        if (apiKeys.isEmpty())
        {
            throw new IllegalArgumentException("no API keys");
        }
        keyDigests = new byte[apiKeys.size()][];
        for (int i = 0; i < keyDigests.length; i++)
        {
            keyDigests[i] = digest(apiKeys.get(i));
        }
    }

    /**
     * @param presented the key a client sent, or null.
     * @return true when it equals one of the configured keys.
     */
    public boolean isValid(final String presented)
    {
        if (presented == null)
        {
            return false;
        }
        final byte[] d = digest(presented);
        boolean match = false;
        for (final byte[] keyDigest : keyDigests)
        {
            match |= MessageDigest.isEqual(d, keyDigest);
        }
        return match;
    }

    /**
     * Take the key from {@code Authorization: Bearer <key>} or {@code X-API-Key: <key>}.
     *
     * @param authorization the Authorization header or null.
     * @param apiKeyHeader  the X-API-Key header or null.
     * @return true when either carries a valid key.
     */
    public boolean isAuthorized(final String authorization, final String apiKeyHeader)
    {
        boolean ok = false;
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7))
        {
            ok = isValid(authorization.substring(7).trim());
        }
        if (apiKeyHeader != null)
        {
            ok |= isValid(apiKeyHeader.trim());
        }
        return ok;
    }

    private static byte[] digest(final String key)
    {
        try
        {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
