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
package io.soundrelay.core.config;

import static io.soundrelay.core.config.Parsers.fail;

/**
 * REDIS_URL's parser and its redaction: a URL holds a password, so no message or log line shows the user-info.
 */
final class RedisUrls
{
    /** The REDIS_URL scheme of a master found through Sentinel. */
    static final String SENTINEL_SCHEME = "redis-sentinel://";
    /** The REDIS_URL scheme of a Redis Cluster, followed by seed nodes. */
    static final String CLUSTER_SCHEME = "redis-cluster://";

    private RedisUrls()
    {
    }

    /**
     * @param name  REDIS_URL.
     * @param value the set value; empty for no Redis.
     * @return the value, checked.
     */
    static String parse(final String name, final String value)
    {
        if (value.isEmpty())
        {
            return value;
        }
        final String rest;
        final boolean sentinel = value.startsWith(SENTINEL_SCHEME);
        final boolean cluster = value.startsWith(CLUSTER_SCHEME);
        if (value.startsWith("redis://"))
        {
            rest = value.substring("redis://".length());
        }
        else if (value.startsWith("rediss://"))
        {
            rest = value.substring("rediss://".length());
        }
        else if (sentinel || cluster)
        {
            rest = value.substring(sentinel ? SENTINEL_SCHEME.length() : CLUSTER_SCHEME.length());
        }
        else
        {
            throw fail(name, redact(value), "expected redis://host:port, rediss://host:port, " +
                "redis-sentinel://h1:p1,h2:p2[/db]#master, redis-cluster://h1:p1,h2:p2, or empty");
        }
        final int at = rest.lastIndexOf('@');
        if (at >= 0 && indexOfDelimiter(rest.substring(0, at)) >= 0)
        {
            throw fail(name, redact(value),
                "'/', '?' or '#' in the user name or password must be percent-encoded (%2F, %3F, %23)");
        }
        final String afterUserInfo = rest.substring(at + 1);
        final int authorityEnd = indexOfDelimiter(afterUserInfo);
        final String authority = authorityEnd < 0 ? afterUserInfo : afterUserInfo.substring(0, authorityEnd);
        if (cluster)
        {
            // Seed nodes, comma-separated; the cluster itself names the rest.
            checkHostPorts(name, value, authority);
            if (afterUserInfo.length() > authority.length())
            {
                throw fail(name, redact(value), "a redis-cluster:// URL lists seed nodes only (a cluster has one " +
                    "database): redis-cluster://h1:7000,h2:7001");
            }
        }
        else if (sentinel)
        {
            // Sentinels, comma-separated, then the monitored master's name after '#'.
            checkHostPorts(name, value, authority);
            final int hash = afterUserInfo.indexOf('#');
            if (hash < 0 || hash == afterUserInfo.length() - 1)
            {
                throw fail(name, redact(value), "a redis-sentinel:// URL names the master after '#': " +
                    "redis-sentinel://h1:26379,h2:26379/0#mymaster");
            }
        }
        else
        {
            checkHostPort(name, value, authority);
        }
        return value;
    }

    /**
     * Hide the user-info of a Redis URL, which holds its password: everything between the scheme and the last
     * {@code @}, so that a password holding {@code / ? #} is hidden too.
     */
    static String redact(final String url)
    {
        final int schemeEnd = url.indexOf("://");
        final int at = url.lastIndexOf('@');
        if (schemeEnd < 0 || at < schemeEnd + 3)
        {
            return url;
        }
        return url.substring(0, schemeEnd + 3) + Parsers.REDACTED + url.substring(at);
    }

    private static void checkHostPorts(final String name, final String value, final String hostPorts)
    {
        for (final String hostPort : hostPorts.split(",", -1))
        {
            checkHostPort(name, value, hostPort);
        }
    }

    private static void checkHostPort(final String name, final String value, final String hostPort)
    {
        final int portColon = hostPort.startsWith("[") ?
            hostPort.indexOf(':', Math.max(hostPort.indexOf(']'), 0)) : hostPort.lastIndexOf(':');
        final String host = portColon < 0 ? hostPort : hostPort.substring(0, portColon);
        if (host.isEmpty() || host.equals("[]"))
        {
            throw fail(name, redact(value), "no host");
        }
        if (portColon >= 0)
        {
            final long port = Parsers.parseLong(hostPort.substring(portColon + 1));
            if (port < 1 || port > 65535)
            {
                throw fail(name, redact(value), "the port must be 1-65535");
            }
        }
    }

    private static int indexOfDelimiter(final String text)
    {
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (c == '/' || c == '?' || c == '#')
            {
                return i;
            }
        }
        return -1;
    }
}
