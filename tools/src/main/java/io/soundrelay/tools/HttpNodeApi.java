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
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The drill's control-API calls over HTTP: a {@link RouteClient} per node, all with the same API key.
 */
final class HttpNodeApi implements MigrateDrill.NodeApi
{
    private final String apiKey;
    private final Map<URI, RouteClient> clients = new ConcurrentHashMap<>();

    /**
     * @param apiKey sent as {@code Authorization: Bearer}, or null for none.
     */
    HttpNodeApi(final String apiKey)
    {
        this.apiKey = apiKey;
    }

    public List<MigrateDrill.NodeInfo> nodes(final URI node) throws IOException, InterruptedException
    {
        final String body;
        try
        {
            body = client(node).nodes();
        }
        catch (final IOException ex)
        {
            throw new IOException(ex.getMessage() + hint(ex), ex);
        }
        return parseNodes(node, body);
    }

    public void createRoute(
        final URI node, final long streamId, final InetSocketAddress source, final InetSocketAddress target)
        throws IOException, InterruptedException
    {
        client(node).create(streamId, source, target, GeneratorOptions.Deliver.FRAMED);
    }

    public MigrateDrill.Answer migrate(final URI node, final long streamId, final String newNodeAddr)
        throws IOException, InterruptedException
    {
        final HttpResponse<String> response = client(node).migrate(streamId, newNodeAddr);
        return new MigrateDrill.Answer(response.statusCode(), response.body());
    }

    public boolean deleteRoute(final URI node, final long streamId) throws IOException, InterruptedException
    {
        return client(node).deleteIfPresent(streamId);
    }

    public MigrateDrill.Answer tryCreateRoute(
        final URI node, final long streamId, final InetSocketAddress source, final InetSocketAddress target)
        throws IOException, InterruptedException
    {
        final HttpResponse<String> response = client(node).tryCreate(streamId, source, target);
        return new MigrateDrill.Answer(response.statusCode(), response.body());
    }

    public MigrateDrill.Answer route(final URI node, final long streamId) throws IOException, InterruptedException
    {
        final HttpResponse<String> response = client(node).route(streamId);
        return new MigrateDrill.Answer(response.statusCode(), response.body());
    }

    public int readyz(final URI node) throws IOException, InterruptedException
    {
        return client(node).readyz();
    }

    /**
     * @param node the node that answered, for messages.
     * @param body GET /nodes' answer: {@code {"nodes":[{"node_id","relay_addr","control_addr",…}…]}}.
     * @return the nodes listed.
     * @throws IOException when the body is not such a list.
     */
    static List<MigrateDrill.NodeInfo> parseNodes(final URI node, final String body) throws IOException
    {
        final Object list;
        try
        {
            list = Json.object(body).get("nodes");
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IOException("GET /nodes on " + node + ": the answer is not a JSON object: " + ex.getMessage());
        }
        if (!(list instanceof List))
        {
            throw new IOException("GET /nodes on " + node + ": the answer has no \"nodes\" array: " + body);
        }
        final List<MigrateDrill.NodeInfo> nodes = new ArrayList<>();
        for (final Object item : (List<?>)list)
        {
            if (!(item instanceof Map))
            {
                throw new IOException("GET /nodes on " + node + ": a node is not a JSON object: " + body);
            }
            final Map<?, ?> fields = (Map<?, ?>)item;
            final Object routes = fields.get("active_routes");
            final Object started = fields.get("started_at");
            nodes.add(new MigrateDrill.NodeInfo(
                text(node, fields, "node_id"), text(node, fields, "relay_addr"), text(node, fields, "control_addr"),
                routes instanceof Number ? ((Number)routes).longValue() : 0,
                started instanceof String ? (String)started : "",
                Boolean.TRUE.equals(fields.get("draining"))));
        }
        return nodes;
    }

    private static String text(final URI node, final Map<?, ?> fields, final String name) throws IOException
    {
        final Object value = fields.get(name);
        if (!(value instanceof String))
        {
            throw new IOException("GET /nodes on " + node + ": a node has no string \"" + name + "\": " + fields);
        }
        return (String)value;
    }

    private String hint(final IOException ex)
    {
        final String message = String.valueOf(ex.getMessage());
        if (message.contains("node answered 401"))
        {
            return null == apiKey ? " (pass --api-key or set " + LoadgenCommand.API_KEY_ENV + ")" :
                " (the node does not know this key)";
        }
        if (message.contains("node answered 404"))
        {
            return " (a node without GET /nodes and POST /migrate: PROTOCOL.md section 7)";
        }
        return "";
    }

    private RouteClient client(final URI node)
    {
        return clients.computeIfAbsent(node, (url) -> new RouteClient(url, apiKey));
    }
}
