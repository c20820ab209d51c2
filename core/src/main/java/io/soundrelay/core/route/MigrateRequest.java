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

import io.soundrelay.core.json.JsonWriter;

import java.util.Map;

/**
 * The body of {@code POST /migrate}: {@code {"stream_id": u64, "new_node_addr": "ip:port"}}, validated like a route
 * request (the stream id as a number or a decimal string, the address never resolved, unknown fields refused).
 */
public final class MigrateRequest
{
    /** Field naming the node the stream moves to, by its relay address. */
    public static final String NEW_NODE_ADDR = "new_node_addr";

    private final long streamId;
    private final Endpoint newNodeAddr;

    private MigrateRequest(final long streamId, final Endpoint newNodeAddr)
    {
        this.streamId = streamId;
        this.newNodeAddr = newNodeAddr;
    }

    /**
     * @param body the request body.
     * @return the validated request.
     * @throws ValidationException 400 naming the field at fault, 413 when the body is too large.
     */
    public static MigrateRequest parse(final byte[] body)
    {
        final Map<String, Object> fields = RouteRequestParser.parseObject(body);
        for (final String name : fields.keySet())
        {
            if (!RouteRequestParser.STREAM_ID.equals(name) && !NEW_NODE_ADDR.equals(name))
            {
                throw new ValidationException(name, "unknown field " +
                    RouteRequestParser.echo(JsonWriter.quote(name)) + "; a migration has stream_id and new_node_addr");
            }
        }
        final long streamId = RouteRequestParser.streamId(fields.get(RouteRequestParser.STREAM_ID), null);
        final Object addr = fields.get(NEW_NODE_ADDR);
        if (addr == null)
        {
            throw new ValidationException(NEW_NODE_ADDR, "new_node_addr is required: the relay address of a live node");
        }
        return new MigrateRequest(streamId, RouteRequestParser.endpoint(addr, NEW_NODE_ADDR));
    }

    /**
     * @return the stream to move.
     */
    public long streamId()
    {
        return streamId;
    }

    /**
     * @return the relay address of the node it moves to.
     */
    public Endpoint newNodeAddr()
    {
        return newNodeAddr;
    }
}
