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
package io.soundrelay.control.redis;

import io.lettuce.core.RedisCommandExecutionException;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * What a Redis failure means: an outage, an answer, refused credentials; and its root message for a person.
 */
public final class RedisFailures
{
    private RedisFailures()
    {
    }

    /**
     * @param ex what a command or a task threw.
     * @return true when it means Redis is unreachable (mark it so): a Redis failure that is not an answer.
     */
    public static boolean isOutage(final Throwable ex)
    {
        return isRedisFailure(ex) && !stillAnswers(ex);
    }

    /**
     * A command of the several-node work or of a task failed: did Redis answer it all the same? One odd key (a script
     * that met a value of the wrong type, say) must not mark Redis unreachable, expire this node's heartbeat and make
     * every other node see this one as dead. An error answer is Redis answering, unless it means "ask another server"
     * (a demoted master, a cluster down, a server still loading) or the credentials. A timeout still counts as an
     * outage: a slow key is never read in the first place ({@link BoundedReads}), so a timeout means Redis stalls.
     */
    static boolean stillAnswers(final Throwable ex)
    {
        Throwable root = ex;
        while (root.getCause() != null && root.getCause() != root)
        {
            root = root.getCause();
        }
        if (!(root instanceof RedisCommandExecutionException) || root.getMessage() == null)
        {
            return false;
        }
        final String why = root.getMessage();
        if (why.startsWith("READONLY") || why.startsWith("LOADING") || why.startsWith("MASTERDOWN") ||
            why.startsWith("CLUSTERDOWN") || why.startsWith("NOAUTH") || why.startsWith("WRONGPASS") ||
            why.startsWith("TRYAGAIN"))
        {
            return false;
        }
        return true; // logged by the caller, or answered to the API's request
    }

    /**
     * @return true when Redis failed (unreachable, timed out, answered an error), as opposed to a refusal or the
     * router being busy.
     */
    static boolean isRedisFailure(final Throwable ex)
    {
        return !(ex instanceof RedisRouteStore.Refusal) &&
            (ex instanceof io.lettuce.core.RedisException || ex instanceof TimeoutException ||
            ex instanceof ExecutionException);
    }

    static boolean isAuthFailure(final Throwable ex)
    {
        for (Throwable t = ex; t != null; t = t.getCause())
        {
            if (t instanceof RedisCommandExecutionException && t.getMessage() != null)
            {
                final String m = t.getMessage();
                if (m.startsWith("WRONGPASS") || m.startsWith("NOAUTH") || m.contains("invalid password") ||
                    m.contains("invalid username-password"))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * @param ex a failure.
     * @return its root cause's class and message.
     */
    public static String rootMessage(final Throwable ex)
    {
        Throwable t = ex;
        while (t.getCause() != null && t.getCause() != t)
        {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
