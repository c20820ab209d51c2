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

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every setting of a node, in the order of the contract (PROTOCOL.md section 5), and what is derived from the list.
 */
final class NodeSettings
{
    /** Every setting a node reads, in the order of {@link Configuration#NAMES} and {@link Configuration#help()}. */
    static final List<Setting<?>> ALL = List.of(
        DataPlaneSettings.BIND_ADDR, ApiSettings.CONTROL_API_ADDR, ApiSettings.METRICS_ADDR, ClusterSettings.REDIS_URL,
        ClusterSettings.REDIS_POOL_SIZE, ClusterSettings.REDIS_QUEUE_MAX, ApiSettings.AUTH_ENABLED,
        ApiSettings.API_KEYS,
        RouteSettings.MAX_STREAMS_PER_NODE, RouteSettings.MAX_TARGETS_PER_ROUTE, DataPlaneSettings.MAX_DATAGRAM_BYTES,
        RouteSettings.ROUTE_TTL_SECONDS, RouteSettings.JITTER_BUFFER_MS, ClusterSettings.NODE_ID,
        DataPlaneSettings.ENABLE_MIXER, ApiSettings.LOG_LEVEL, DataPlaneSettings.TRANSPORT, DataPlaneSettings.RING_SIZE,
        DataPlaneSettings.WAIT_STRATEGY, DataPlaneSettings.PIN_CPUS, DataPlaneSettings.DATA_PLANE_THREADS,
        DataPlaneSettings.DATA_PLANE_PIPELINES, DataPlaneSettings.RECEIVE_BATCH, DataPlaneSettings.SEND_BATCH,
        ClusterSettings.MIGRATION_GRACE_SECONDS, ClusterSettings.DRAIN_TIMEOUT_SECONDS,
        ClusterSettings.AUTO_FAILOVER, ClusterSettings.ADVERTISE_HOST, RouteSettings.TARGET_DENY,
        RouteSettings.TARGET_ALLOW, RouteSettings.RELAY_PORTS, RouteSettings.PACE_MS, RouteSettings.PACE_MAX_HELD,
        ApiSettings.CONTROL_API_MAX_CONNECTIONS, ApiSettings.UNAUTH_RATE_PER_SECOND, ApiSettings.UNAUTH_RATE_BURST,
        DataPlaneSettings.MIXER_ROOM_ENCODES_PER_PERIOD, DataPlaneSettings.MIXER_NODE_ENCODES_PER_20MS,
        DataPlaneSettings.MIXER_STALE_MS, RouteSettings.JITTER_MAX_HELD);

    private NodeSettings()
    {
    }

    static List<String> names()
    {
        final List<String> names = new ArrayList<>(ALL.size());
        for (final Setting<?> setting : ALL)
        {
            names.add(setting.name());
        }
        return List.copyOf(names);
    }

    static List<Configuration.Help> help()
    {
        final List<Configuration.Help> lines = new ArrayList<>(ALL.size());
        for (final Setting<?> setting : ALL)
        {
            lines.add(setting.help());
        }
        return Collections.unmodifiableList(lines);
    }

    /**
     * @param values the merged variables.
     * @return the names of the settings they set to anything but blank.
     */
    static Set<String> given(final Map<String, String> values)
    {
        final Set<String> set = new HashSet<>();
        for (final Setting<?> setting : ALL)
        {
            if (setting.isSet(values))
            {
                set.add(setting.name());
            }
        }
        return Set.copyOf(set);
    }

    static Map<String, String> withPrefix(final Map<String, String> values, final String prefix)
    {
        final Map<String, String> selected = new TreeMap<>();
        for (final Map.Entry<String, String> e : values.entrySet())
        {
            if (e.getKey().startsWith(prefix))
            {
                selected.put(e.getKey(), e.getValue());
            }
        }
        return Collections.unmodifiableMap(selected);
    }
}
