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

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The nodes a factory's send systems may put routes on, and what {@code GET /nodes} says of them: which to try first
 * (least {@code active_routes}, draining ones left out) and where a migrated route's new owner is. Blocking; used on
 * the send systems' control threads only. Thread safe: a factory's send systems share it.
 */
final class NodeDirectory
{
    private final List<Configured> configured;
    private final HttpClient http;
    private final String apiKey;
    private final Duration timeout;
    private final Map<String, String> nodeIds = new ConcurrentHashMap<>();

    /**
     * A node as the bot was told of it.
     *
     * @param controlUrl its control API, without a trailing slash.
     * @param relay      its relay address, or null to take it from {@code GET /nodes}.
     */
    record Configured(String controlUrl, InetSocketAddress relay)
    {
    }

    /**
     * A node a route may be put on.
     *
     * @param controlUrl its control API.
     * @param relay      where packets of its routes go, or null when unknown (the node cannot be used).
     * @param relayAddr  its {@code relay_addr} as its heartbeat writes it (what {@code POST /migrate} wants), or null.
     * @param nodeId     its {@code node_id}, or null when unknown.
     * @param load       its {@code active_routes}, {@link Long#MAX_VALUE} when unknown.
     * @param draining   true while its {@code GET /nodes} entry says {@code "draining": true}.
     */
    record Node(String controlUrl, InetSocketAddress relay, String relayAddr, String nodeId, long load,
        boolean draining)
    {
    }

    NodeDirectory(final List<Configured> configured, final HttpClient http, final String apiKey,
        final Duration timeout)
    {
        this.configured = List.copyOf(configured);
        this.http = http;
        this.apiKey = apiKey;
        this.timeout = timeout;
    }

    /**
     * @param controlUrl a node's control API.
     * @return a client of it.
     */
    ControlApiClient api(final String controlUrl)
    {
        return new ControlApiClient(http, controlUrl, apiKey, timeout);
    }

    List<Configured> configured()
    {
        return configured;
    }

    /**
     * The nodes to try for a new route, least loaded first. With one configured node whose relay is known, that node
     * without asking anything. Else {@code GET /nodes} (of the configured nodes in turn until one answers) gives each
     * live node's load; a configured node is found in it by its control address or else by the {@code node_id} of its
     * {@code /health}. Nodes whose entry says {@code "draining": true} are left out; configured nodes it does not list
     * come last, in the configured order.
     *
     * @param exclude control URLs not to try (a node found down); ignored when it would leave none.
     * @return the nodes, possibly none.
     * @throws InterruptedException when interrupted during a call.
     */
    List<Node> candidates(final Set<String> exclude) throws InterruptedException
    {
        if (configured.size() == 1 && null != configured.get(0).relay())
        {
            final Configured only = configured.get(0);
            return List.of(new Node(only.controlUrl(), only.relay(), null, null, Long.MAX_VALUE, false));
        }
        final List<Map<String, Object>> entries = listing(exclude);
        final List<Node> nodes = new ArrayList<>();
        for (final Configured node : configured)
        {
            if (exclude.contains(node.controlUrl()) && exclude.size() < configured.size())
            {
                continue;
            }
            final Map<String, Object> entry = entryOf(node, entries);
            final Node candidate = nodeOf(node, entry);
            if (!candidate.draining())
            {
                nodes.add(candidate);
            }
        }
        nodes.sort(Comparator.comparingLong(Node::load)); // stable: unknown loads keep the configured order
        return nodes;
    }

    /**
     * Where a route's owner is: its control API (a configured node's when it is one, else its {@code control_addr})
     * and relay address, from {@code GET /nodes}.
     *
     * @param nodeId the route's {@code node_id}.
     * @param via    the control URL to ask first.
     * @return the owner, or null when no node lists it (yet).
     * @throws InterruptedException when interrupted during a call.
     */
    Node locate(final String nodeId, final String via) throws InterruptedException
    {
        final List<Map<String, Object>> entries = listing(Set.of(), via);
        for (final Map<String, Object> entry : entries)
        {
            if (!nodeId.equals(entry.get("node_id")) || !(entry.get("control_addr") instanceof String))
            {
                continue;
            }
            final String controlAddr = (String)entry.get("control_addr");
            for (final Configured node : configured)
            {
                if (controlAddr.equals(hostPort(node.controlUrl())) || nodeId.equals(nodeIds.get(node.controlUrl())))
                {
                    return nodeOf(node, entry);
                }
            }
            // The operator moved the route to a node the bot was not told of: the stream follows it all the same.
            return nodeOf(new Configured("http://" + controlAddr, null), entry);
        }
        return null;
    }

    private List<Map<String, Object>> listing(final Set<String> exclude, final String... first)
        throws InterruptedException
    {
        final List<String> order = new ArrayList<>(List.of(first));
        for (final Configured node : configured)
        {
            if (!exclude.contains(node.controlUrl()) && !order.contains(node.controlUrl()))
            {
                order.add(node.controlUrl());
            }
        }
        for (final String url : order)
        {
            try
            {
                final ControlApiClient.Answer answer = api(url).call("GET", "/nodes", null);
                if (answer.status() == 200 && Json.object(answer.body()).get("nodes") instanceof List<?> list)
                {
                    final List<Map<String, Object>> entries = new ArrayList<>();
                    for (final Object entry : list)
                    {
                        if (entry instanceof Map<?, ?>)
                        {
                            @SuppressWarnings("unchecked")
                            final Map<String, Object> map = (Map<String, Object>)entry;
                            entries.add(map);
                        }
                    }
                    return entries;
                }
            }
            catch (final SoundRelayRouteException | IllegalArgumentException ex)
            {
                // This node does not answer, or not with a listing (no Redis): ask the next one.
            }
        }
        return List.of();
    }

    private Map<String, Object> entryOf(final Configured node, final List<Map<String, Object>> entries)
        throws InterruptedException
    {
        if (entries.isEmpty())
        {
            return null;
        }
        final String hostPort = hostPort(node.controlUrl());
        for (final Map<String, Object> entry : entries)
        {
            if (hostPort.equals(entry.get("control_addr")))
            {
                return entry;
            }
        }
        final String nodeId = nodeIdOf(node.controlUrl());
        for (final Map<String, Object> entry : entries)
        {
            if (null != nodeId && nodeId.equals(entry.get("node_id")))
            {
                return entry;
            }
        }
        return null;
    }

    private Node nodeOf(final Configured node, final Map<String, Object> entry)
    {
        if (null == entry)
        {
            return new Node(node.controlUrl(), node.relay(), null, nodeIds.get(node.controlUrl()), Long.MAX_VALUE,
                false);
        }
        final String relayAddr = entry.get("relay_addr") instanceof String s ? s : null;
        final String nodeId = entry.get("node_id") instanceof String s ? s : null;
        if (null != nodeId)
        {
            nodeIds.put(node.controlUrl(), nodeId);
        }
        InetSocketAddress relay = node.relay();
        if (null == relay && null != relayAddr)
        {
            relay = relayOf(relayAddr, node.controlUrl());
        }
        final long load = entry.get("active_routes") instanceof Number n ? n.longValue() : Long.MAX_VALUE;
        return new Node(node.controlUrl(), relay, relayAddr, nodeId, load, Boolean.TRUE.equals(entry.get("draining")));
    }

    /**
     * A node's {@code node_id} from its {@code /health} (no key needed), remembered once known.
     */
    private String nodeIdOf(final String controlUrl) throws InterruptedException
    {
        final String known = nodeIds.get(controlUrl);
        if (null != known)
        {
            return known;
        }
        try
        {
            final ControlApiClient.Answer answer = api(controlUrl).call("GET", "/health", null);
            if (answer.status() == 200 && Json.object(answer.body()).get("node_id") instanceof String id)
            {
                nodeIds.put(controlUrl, id);
                return id;
            }
        }
        catch (final SoundRelayRouteException | IllegalArgumentException ex)
        {
            // Down or not a node: it stays unlisted.
        }
        return null;
    }

    /**
     * @param relayAddr a heartbeat's {@code relay_addr}.
     * @param controlUrl the node's control API: its host stands in for a wildcard relay IP.
     * @return the address to send to, or null when there is none.
     */
    static InetSocketAddress relayOf(final String relayAddr, final String controlUrl)
    {
        final InetSocketAddress parsed = Addresses.parse(relayAddr);
        if (null == parsed || !parsed.getAddress().isAnyLocalAddress())
        {
            return parsed;
        }
        final String host = URI.create(controlUrl).getHost();
        try
        {
            return new InetSocketAddress(InetAddress.getByName(host), parsed.getPort());
        }
        catch (final UnknownHostException ex)
        {
            return null;
        }
    }

    static String hostPort(final String controlUrl)
    {
        final URI uri = URI.create(controlUrl);
        final int port = uri.getPort() >= 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        return uri.getHost() + ":" + port;
    }
}
