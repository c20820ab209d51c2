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
package io.soundrelay.control.cluster;

import io.soundrelay.control.redis.RedisRouteStore;

/**
 * A several-node request refused: the HTTP status, the field at fault and what is wrong, for a person.
 */
public final class ClusterRefusal extends RedisRouteStore.Refusal
{
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String field;

    /**
     * @param status  HTTP status.
     * @param field   the request field at fault, or null.
     * @param message what is wrong.
     */
    public ClusterRefusal(final int status, final String field, final String message)
    {
        super(message);
        this.status = status;
        this.field = field;
    }

    public int status()
    {
        return status;
    }

    public String field()
    {
        return field;
    }
}
