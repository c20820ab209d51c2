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

import io.soundrelay.core.json.Json;
import io.soundrelay.core.json.JsonException;
import io.soundrelay.core.json.JsonNumber;
import io.soundrelay.core.json.JsonWriter;
import io.soundrelay.core.route.Endpoint;

import java.util.Map;

/**
 * A live node as its heartbeat describes it (PROTOCOL.md sections 3 and 7).
 */
public final class NodeInfo
{
    private final String nodeId;
    private final String relayAddr;
    private final String controlAddr;
    private final long activeRoutes;
    private final String startedAt;
    private final long lastHeartbeatMsAgo;
    private final Endpoint relay;
    private final boolean draining;

    NodeInfo(
        final String nodeId,
        final String relayAddr,
        final String controlAddr,
        final long activeRoutes,
        final String startedAt,
        final long lastHeartbeatMsAgo,
        final Endpoint relay,
        final boolean draining)
    {
        this.draining = draining;
        this.nodeId = nodeId;
        this.relayAddr = relayAddr;
        this.controlAddr = controlAddr;
        this.activeRoutes = activeRoutes;
        this.startedAt = startedAt;
        this.lastHeartbeatMsAgo = lastHeartbeatMsAgo;
        this.relay = relay;
    }

    /**
     * Read a heartbeat.
     *
     * @param json               the heartbeat value.
     * @param lastHeartbeatMsAgo how long ago it was written.
     * @return the node, or null when the value is not a heartbeat with a usable relay address.
     */
    static NodeInfo parse(final String json, final long lastHeartbeatMsAgo)
    {
        try
        {
            final Object root = Json.parse(json);
            if (!(root instanceof Map))
            {
                return null;
            }
            final Map<?, ?> doc = (Map<?, ?>)root;
            final Object id = doc.get("node_id");
            final Object relay = doc.get("relay_addr");
            final Object control = doc.get("control_addr");
            final Object routes = doc.get("active_routes");
            final Object started = doc.get("started_at");
            final Object draining = doc.get("draining");
            if (!(id instanceof String) || !(relay instanceof String))
            {
                return null;
            }
            return new NodeInfo((String)id, (String)relay, control instanceof String ? (String)control : null,
                routes instanceof JsonNumber ? ((JsonNumber)routes).longValueExact() : 0,
                started instanceof String ? (String)started : null, lastHeartbeatMsAgo,
                Endpoint.parse((String)relay), Boolean.TRUE.equals(draining));
        }
        catch (final JsonException | IllegalArgumentException | ArithmeticException ex)
        {
            return null;
        }
    }

    public String nodeId()
    {
        return nodeId;
    }

    public String relayAddr()
    {
        return relayAddr;
    }

    public String controlAddr()
    {
        return controlAddr;
    }

    public long activeRoutes()
    {
        return activeRoutes;
    }

    public String startedAt()
    {
        return startedAt;
    }

    public long lastHeartbeatMsAgo()
    {
        return lastHeartbeatMsAgo;
    }

    /**
     * @return true while the node drains (PROTOCOL.md section 12): it takes no route, so no peer hands it one.
     */
    public boolean draining()
    {
        return draining;
    }

    /**
     * @return the relay address as an endpoint, to compare with a request's address and to match HOP senders.
     */
    public Endpoint relay()
    {
        return relay;
    }

    /**
     * @param w where to write this node as {@code GET /nodes} shows it.
     */
    public void write(final JsonWriter w)
    {
        w.beginObject()
            .name("node_id").value(nodeId)
            .name("relay_addr").value(relayAddr)
            .name("control_addr");
        if (controlAddr == null)
        {
            w.nullValue();
        }
        else
        {
            w.value(controlAddr);
        }
        w.name("active_routes").value(activeRoutes).name("started_at");
        if (startedAt == null)
        {
            w.nullValue();
        }
        else
        {
            w.value(startedAt);
        }
        w.name("last_heartbeat_ms_ago").value(lastHeartbeatMsAgo).name("draining").value(draining).endObject();
    }
}
