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

import io.soundrelay.core.config.Configuration.LogLevel;
import io.soundrelay.core.config.Configuration.Transport;
import io.soundrelay.core.config.Configuration.WaitStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigurationTest
{
    private static final String KEY_A = "k3y-AAAAAAAAAAAAAAAA";
    private static final String KEY_B = "k3y-BBBBBBBBBBBBBBBB";

    @TempDir
    Path dir;

    private static Configuration load(final String... nameValues)
    {
        final Map<String, String> env = new HashMap<>();
        for (int i = 0; i < nameValues.length; i += 2)
        {
            env.put(nameValues[i], nameValues[i + 1]);
        }
        return Configuration.load(env, null);
    }

    private static String failure(final String name, final String value)
    {
        return assertThrows(ConfigurationException.class, () -> load(name, value)).getMessage();
    }

    @Test
    void logLevelIsReadInAnyCase()
    {
        assertEquals(LogLevel.INFO, Configuration.load(Map.of("LOG_LEVEL", "INFO"), null).logLevel());
        assertEquals(LogLevel.DEBUG, Configuration.load(Map.of("LOG_LEVEL", "Debug"), null).logLevel());
        assertEquals("LOG_LEVEL=loud: expected trace|debug|info|warn|error", failure("LOG_LEVEL", "loud"));
    }

    @Test
    void defaultsFollowTheContract()
    {
        final Configuration c = Configuration.defaults();

        assertEquals(new InetSocketAddress("0.0.0.0", 4000), c.bindAddr());
        assertEquals(new InetSocketAddress("0.0.0.0", 4300), c.controlApiAddr());
        assertEquals(new InetSocketAddress("0.0.0.0", 9100), c.metricsAddr());
        assertEquals("redis://127.0.0.1:6379", c.redisUrl());
        assertTrue(c.redisEnabled());
        assertEquals(4, c.redisPoolSize());
        assertTrue(c.authEnabled());
        assertEquals(List.of(), c.apiKeys());
        assertEquals(60, c.drainTimeoutSeconds());
        assertEquals(1000, c.maxStreamsPerNode());
        assertEquals(16, c.maxTargetsPerRoute());
        assertEquals(1500, c.maxDatagramBytes());
        assertEquals(300, c.routeTtlSeconds());
        assertEquals(0, c.jitterBufferMs());
        assertEquals(Configuration.defaultNodeId(Configuration.localHostName(), 4000), c.nodeId());
        assertFalse(c.enableMixer());
        assertEquals(LogLevel.INFO, c.logLevel());
        assertEquals(Transport.AUTO, c.transport());
        assertEquals(16384, c.ringSize());
        assertEquals(WaitStrategy.SLEEPING, c.waitStrategy());
        assertEquals(List.of(), c.pinCpus());
        assertEquals(1, c.dataPlaneThreads());
        assertEquals(1, c.dataPlanePipelines());
        assertEquals(32, c.receiveBatch());
        assertEquals(64, c.sendBatch());
        assertEquals(30, c.migrationGraceSeconds());
        assertFalse(c.autoFailover());
    }

    @Test
    void theDefaultNodeIdIsTheHostNameAndTheRelayPort()
    {
        final String host = Configuration.localHostName();
        assertEquals(Configuration.defaultNodeId(host, 4001), load("BIND_ADDR", "127.0.0.1:4001").nodeId());
        assertTrue(load("BIND_ADDR", "127.0.0.1:4001").nodeId().endsWith("-4001"));
        assertEquals("relay-7", load("NODE_ID", "relay-7", "BIND_ADDR", "127.0.0.1:4001").nodeId(), "a set id wins");

        assertEquals("media-03.example.org-4000", Configuration.defaultNodeId("media-03.example.org", 4000));
        assertEquals("caf--host-4000", Configuration.defaultNodeId("caf\u00e9 host", 4000), "other characters become -");
        assertEquals("soundrelay-4000", Configuration.defaultNodeId(null, 4000), "no host name");
        assertEquals("soundrelay-0", Configuration.defaultNodeId("...", 0), "no usable character");
        final String longId = Configuration.defaultNodeId("h".repeat(200), 65535);
        assertEquals(Configuration.NODE_ID_MAX_LENGTH, longId.length());
        assertTrue(longId.endsWith("h-65535"), longId);
        // Whatever the host is called, the default is a valid NODE_ID.
        assertEquals(longId, load("NODE_ID", longId).nodeId());
    }

    @Test
    void httpLimitsHaveDefaultsAndRefuseBadValuesNamingTheVariable()
    {
        final Configuration defaults = load();
        assertEquals(256, defaults.controlApiMaxConnections());
        assertEquals(20, defaults.unauthRatePerSecond());
        assertEquals(60, defaults.unauthRateBurst());
        assertFalse(defaults.isSet("MAX_STREAMS_PER_NODE"));
        assertTrue(load("MAX_STREAMS_PER_NODE", "10").isSet("MAX_STREAMS_PER_NODE"));
        assertEquals(0, load("UNAUTH_RATE_PER_SECOND", "0").unauthRatePerSecond(), "0: no limit");

        assertTrue(failure("CONTROL_API_MAX_CONNECTIONS", "4").startsWith("CONTROL_API_MAX_CONNECTIONS=4: "));
        assertTrue(failure("CONTROL_API_MAX_CONNECTIONS", "lots").startsWith("CONTROL_API_MAX_CONNECTIONS=lots: "));
        assertTrue(failure("UNAUTH_RATE_PER_SECOND", "-1").startsWith("UNAUTH_RATE_PER_SECOND=-1: "));
        assertTrue(failure("UNAUTH_RATE_BURST", "0").startsWith("UNAUTH_RATE_BURST=0: "));
    }

    @Test
    void jitterMaxHeldBoundsTheJitterBuffersAndABadValueStopsTheNodeNamingIt()
    {
        assertEquals(Configuration.JITTER_MAX_HELD_DEFAULT, load().jitterMaxHeld());
        assertEquals(0, load("JITTER_MAX_HELD", "0").jitterMaxHeld(), "0: no jitter buffers");
        assertEquals(4096, load("JITTER_MAX_HELD", "4096").jitterMaxHeld());
        for (final String bad : new String[]{"-1", "1048577", "lots"})
        {
            final String message = failure("JITTER_MAX_HELD", bad);
            assertTrue(message.startsWith("JITTER_MAX_HELD=" + bad + ": "), message);
        }
    }

    @Test
    void pipelinesAreANumberOrAutoAndNeverMoreThanPinCpusLists()
    {
        assertEquals(64, load("DATA_PLANE_PIPELINES", "64").dataPlanePipelines());
        assertEquals(Math.min(64, Runtime.getRuntime().availableProcessors()),
            load("DATA_PLANE_PIPELINES", " auto ").dataPlanePipelines(), "auto without PIN_CPUS: one per processor");
        assertEquals(3, load("DATA_PLANE_PIPELINES", "auto", "PIN_CPUS", "2,5,7").dataPlanePipelines(),
            "auto with PIN_CPUS: one per CPU listed");
        assertEquals(2, load("DATA_PLANE_PIPELINES", "2", "PIN_CPUS", "2,3").dataPlanePipelines());
        assertEquals(1, load("PIN_CPUS", "2,3").dataPlanePipelines(), "the default stays 1 with PIN_CPUS");
        assertTrue(load("DATA_PLANE_PIPELINES", "2").toString().contains("dataPlanePipelines=2"));
        assertTrue(load("DATA_PLANE_PIPELINES", "auto").isSet("DATA_PLANE_PIPELINES"));

        final ConfigurationException ex = assertThrows(ConfigurationException.class,
            () -> load("DATA_PLANE_PIPELINES", "3", "PIN_CPUS", "2,3"));
        assertEquals("DATA_PLANE_PIPELINES=3: more pipelines than the 2 CPUs of PIN_CPUS=2,3 (one CPU each: at most " +
            "2, or auto)", ex.getMessage());

        final int auto = DataPlaneSettings.PIPELINES_AUTO;
        assertEquals(64, DataPlaneSettings.pipelines(auto, List.of(), 128), "auto is capped at 64");
        assertEquals(1, DataPlaneSettings.pipelines(auto, List.of(), 1));
        final List<Integer> manyCpus = new java.util.ArrayList<>();
        for (int cpu = 0; cpu < 100; cpu++)
        {
            manyCpus.add(cpu);
        }
        assertEquals(64, DataPlaneSettings.pipelines(auto, manyCpus, 2), "auto is capped at 64 with PIN_CPUS too");
        assertEquals(64, DataPlaneSettings.pipelines(64, manyCpus, 2));
    }

    @Test
    void targetDenyAndAllowAreAddressRanges()
    {
        final Configuration defaults = load();
        assertEquals("[169.254.0.0/16, fe80::/10, fd00:ec2::/32]", defaults.targetDeny().toString());
        assertEquals(List.of(), defaults.targetAllow());
        assertEquals(List.of(), load("TARGET_DENY", "").targetDeny(), "empty: none");
        assertEquals("[10.0.0.0/8, 2001:db8::/32]",
            load("TARGET_ALLOW", "10.0.0.0/8, 2001:db8::/32").targetAllow().toString());
        final String message = failure("TARGET_ALLOW", "10.0.0.0/40");
        assertTrue(message.startsWith("TARGET_ALLOW=10.0.0.0/40: "), message);
        assertTrue(failure("TARGET_DENY", "metadata.internal").startsWith("TARGET_DENY=metadata.internal: "));
    }

    @Test
    void helpHasOneLineForEverySettingInOrderWithItsDefault()
    {
        final List<String> names = new java.util.ArrayList<>();
        for (final Configuration.Help h : Configuration.help())
        {
            names.add(h.name());
            assertFalse(h.defaultValue().isEmpty(), h.name());
            assertFalse(h.summary().contains("\n"), h.name());
        }
        assertEquals(Configuration.NAMES, names);
        assertEquals(Configuration.BIND_ADDR_DEFAULT, Configuration.help().get(0).defaultValue());
    }

    @Test
    void readsEverySetting()
    {
        final Configuration c = load(
            "BIND_ADDR", "127.0.0.1:0",
            "CONTROL_API_ADDR", "[::1]:8080",
            "METRICS_ADDR", " 10.1.2.3:9999 ",
            "REDIS_URL", "rediss://user:secret@redis.internal:6380/0",
            "REDIS_POOL_SIZE", "64",
            "AUTH_ENABLED", "false",
            "API_KEYS", " " + KEY_A + " ,," + KEY_B + "," + KEY_A + ",",
            "MAX_STREAMS_PER_NODE", "1000000",
            "MAX_TARGETS_PER_ROUTE", "256",
            "MAX_DATAGRAM_BYTES", "65507",
            "ROUTE_TTL_SECONDS", "86400",
            "JITTER_BUFFER_MS", "1000",
            "NODE_ID", "eu-west.relay_2",
            "ENABLE_MIXER", "true",
            "LOG_LEVEL", "trace",
            "TRANSPORT", "io_uring",
            "RING_SIZE", "1048576",
            "WAIT_STRATEGY", "busy-spin",
            "PIN_CPUS", "3, 0,12",
            "DATA_PLANE_THREADS", "2",
            "DATA_PLANE_PIPELINES", "3",
            "RECEIVE_BATCH", "64",
            "SEND_BATCH", "1024",
            "MIGRATION_GRACE_SECONDS", "0",
            "AUTO_FAILOVER", "true",
            "UNRELATED", "ignored");

        assertEquals(new InetSocketAddress("127.0.0.1", 0), c.bindAddr());
        assertEquals(new InetSocketAddress("::1", 8080), c.controlApiAddr());
        assertEquals(new InetSocketAddress("10.1.2.3", 9999), c.metricsAddr());
        assertEquals("rediss://user:secret@redis.internal:6380/0", c.redisUrl());
        assertEquals(64, c.redisPoolSize());
        assertFalse(c.authEnabled());
        assertEquals(List.of(KEY_A, KEY_B), c.apiKeys());
        assertEquals(1_000_000, c.maxStreamsPerNode());
        assertEquals(256, c.maxTargetsPerRoute());
        assertEquals(65507, c.maxDatagramBytes());
        assertEquals(86400, c.routeTtlSeconds());
        assertEquals(1000, c.jitterBufferMs());
        assertEquals("eu-west.relay_2", c.nodeId());
        assertTrue(c.enableMixer());
        assertEquals(LogLevel.TRACE, c.logLevel());
        assertEquals(Transport.IO_URING, c.transport());
        assertEquals(1_048_576, c.ringSize());
        assertEquals(WaitStrategy.BUSY_SPIN, c.waitStrategy());
        assertEquals(List.of(3, 0, 12), c.pinCpus());
        assertEquals(2, c.dataPlaneThreads());
        assertEquals(3, c.dataPlanePipelines());
        assertEquals(64, c.receiveBatch());
        assertEquals(1024, c.sendBatch());
        assertEquals(0, c.migrationGraceSeconds());
        assertTrue(c.autoFailover());
    }

    @Test
    void theRedisQueueIsSixteenWritesPerRouteUnlessSet()
    {
        assertEquals(16_000, load().redisQueueMax());
        assertEquals(4096, load("MAX_STREAMS_PER_NODE", "10").redisQueueMax());
        assertEquals(500, load("REDIS_QUEUE_MAX", "500").redisQueueMax());
    }

    @Test
    void aSentinelUrlNamesSentinelsAndTheMaster()
    {
        final Configuration c = load("REDIS_URL", "redis-sentinel://:secret@127.0.0.1:26379,127.0.0.1:26380/2#mymaster");

        assertTrue(c.redisEnabled());
        assertEquals("redis-sentinel://:secret@127.0.0.1:26379,127.0.0.1:26380/2#mymaster", c.redisUrl());
        assertFalse(c.toString().contains("secret"), c.toString());
    }

    @Test
    void emptyRedisUrlMeansNoRedis()
    {
        final Configuration c = load("REDIS_URL", "");

        assertFalse(c.redisEnabled());
        assertEquals("", c.redisUrl());
        assertTrue(c.toString().contains("redisUrl=<disabled>"), c.toString());
    }

    @ParameterizedTest
    @CsvSource(delimiterString = "->", quoteCharacter = '`', value = {
        "BIND_ADDR -> localhost:4000 -> the host must be an IP address such as 0.0.0.0 or [::], not a name",
        "BIND_ADDR -> 0.0.0.0 -> expected ip:port or [v6]:port",
        "BIND_ADDR -> 0.0.0.0:65536 -> the port must be 0-65535",
        "BIND_ADDR -> 0.0.0.0:http -> the port must be 0-65535",
        "BIND_ADDR -> 1.2.3.04:4000 -> the host must be an IP address such as 0.0.0.0 or [::], not a name",
        "BIND_ADDR -> ::1:4000 -> expected ip:port or [v6]:port",
        "CONTROL_API_ADDR -> [::1] -> expected [v6]:port",
        "CONTROL_API_ADDR -> [zz::1]:80 -> 'zz::1' is not an IPv6 address",
        "METRICS_ADDR -> `` -> empty; expected ip:port or [v6]:port",
        "REDIS_URL -> http://127.0.0.1:6379 -> `expected redis://host:port, rediss://host:port, redis-sentinel://h1:p1,h2:p2[/db]#master, redis-cluster://h1:p1,h2:p2, or empty`",
        "REDIS_URL -> redis-sentinel://127.0.0.1:26379 -> `a redis-sentinel:// URL names the master after '#': redis-sentinel://h1:26379,h2:26379/0#mymaster`",
        "REDIS_URL -> redis-sentinel://127.0.0.1:26379/0# -> `a redis-sentinel:// URL names the master after '#': redis-sentinel://h1:26379,h2:26379/0#mymaster`",
        "REDIS_URL -> `redis-sentinel://127.0.0.1:26379,:26380#m` -> no host",
        "REDIS_URL -> `redis-sentinel://127.0.0.1:26379,h:99999#m` -> the port must be 1-65535",
        "REDIS_URL -> `redis-cluster://127.0.0.1:7000,127.0.0.1:7001/0` -> a redis-cluster:// URL lists seed nodes only (a cluster has one database): redis-cluster://h1:7000,h2:7001",
        "REDIS_URL -> `redis-cluster://127.0.0.1:7000,:7001` -> no host",
        "REDIS_URL -> redis:// -> no host",
        "REDIS_URL -> redis://h:0 -> the port must be 1-65535",
        "REDIS_POOL_SIZE -> 0 -> outside 1-64",
        "REDIS_QUEUE_MAX -> 10 -> at least 64, or 0 for 16 x MAX_STREAMS_PER_NODE",
        "REDIS_QUEUE_MAX -> 10000001 -> outside 0-10000000",
        "REDIS_POOL_SIZE -> 65 -> outside 1-64",
        "REDIS_POOL_SIZE -> four -> not an integer; expected 1-64",
        "AUTH_ENABLED -> yes -> expected true or false",
        "AUTH_ENABLED -> TRUE -> expected true or false",
        "MAX_STREAMS_PER_NODE -> 1000001 -> outside 1-1000000",
        "MAX_STREAMS_PER_NODE -> 99999999999999999999999 -> outside 1-1000000",
        "MAX_STREAMS_PER_NODE -> 1e3 -> not an integer; expected 1-1000000",
        "MAX_TARGETS_PER_ROUTE -> 257 -> outside 1-256",
        "MAX_DATAGRAM_BYTES -> 63 -> outside 64-65507",
        "MAX_DATAGRAM_BYTES -> 65508 -> outside 64-65507",
        "ROUTE_TTL_SECONDS -> 0 -> outside 1-86400",
        "JITTER_BUFFER_MS -> -1 -> outside 0-1000",
        "JITTER_BUFFER_MS -> `` -> empty; expected an integer 0-1000",
        "NODE_ID -> relay node -> only A-Z a-z 0-9 _ . - are allowed",
        "ENABLE_MIXER -> 1 -> expected true or false",
        "LOG_LEVEL -> verbose -> expected trace|debug|info|warn|error",
        "TRANSPORT -> kqueue -> expected auto|io_uring|epoll|nio",
        "RING_SIZE -> 1000 -> not a power of two (64, 128, ... 1048576)",
        "RING_SIZE -> 32 -> outside 64-1048576",
        "DATA_PLANE_THREADS -> 3 -> outside 1-2",
        "DATA_PLANE_PIPELINES -> 0 -> outside 1-64 (or auto)",
        "DATA_PLANE_PIPELINES -> 65 -> outside 1-64 (or auto)",
        "DATA_PLANE_PIPELINES -> -1 -> outside 1-64 (or auto)",
        "DATA_PLANE_PIPELINES -> x -> not an integer; expected 1-64 or auto",
        "DATA_PLANE_PIPELINES -> AUTO -> not an integer; expected 1-64 or auto",
        "DATA_PLANE_PIPELINES -> `` -> empty; expected an integer 1-64 or auto",
        "RECEIVE_BATCH -> 0 -> outside 1-64",
        "SEND_BATCH -> 1025 -> outside 1-1024",
        "WAIT_STRATEGY -> spin -> expected busy-spin|yielding|backoff|sleeping",
        "PIN_CPUS -> 0,-1 -> '-1' is not a CPU id 0-65535",
        "PIN_CPUS -> 0,x -> 'x' is not a CPU id 0-65535",
        "PIN_CPUS -> 1,2,1 -> CPU 1 is listed twice",
        "MIGRATION_GRACE_SECONDS -> 3601 -> outside 0-3600",
        "DRAIN_TIMEOUT_SECONDS -> 0 -> outside 1-3600",
        "DRAIN_TIMEOUT_SECONDS -> 3601 -> outside 1-3600",
        "DRAIN_TIMEOUT_SECONDS -> 60s -> not an integer; expected 1-3600",
        "AUTO_FAILOVER -> on -> expected true or false",
        "ADVERTISE_HOST -> relay.example -> expected an IP address such as 10.0.0.5 or [fd00::5], not a name",
        "ADVERTISE_HOST -> 0.0.0.0 -> a wildcard or multicast address cannot be reached by other nodes",
        "ADVERTISE_HOST -> 10.0.0.5:4000 -> expected an IP address such as 10.0.0.5 or [fd00::5], not a name",
        "MIXER_ROOM_ENCODES_PER_PERIOD -> 0 -> outside 1-10000",
        "MIXER_NODE_ENCODES_PER_20MS -> 100001 -> outside 1-100000",
        "MIXER_STALE_MS -> 5 -> outside 10-10000",
        "MIXER_STALE_MS -> 0.1s -> not an integer; expected 10-10000",
    })
    void refusesBadValuesNamingVariableAndValue(final String name, final String value, final String why)
    {
        assertEquals(name + "=" + value + ": " + why, failure(name, value));
    }

    @Test
    void readsAdvertiseHostAndPassesOtelVariablesThrough()
    {
        assertEquals(null, load().advertiseHost());
        assertEquals("10.0.0.5", load("ADVERTISE_HOST", "10.0.0.5").advertiseHost().getHostAddress());
        assertEquals("fd00:0:0:0:0:0:0:5", load("ADVERTISE_HOST", "[fd00::5]").advertiseHost().getHostAddress());
        final Configuration c = load("OTEL_SERVICE_NAME", "relay-eu", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318");
        assertEquals(
            java.util.Map.of("OTEL_SERVICE_NAME", "relay-eu", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"),
            c.otelSettings());
    }

    @Test
    void refusesOverlongNodeId()
    {
        final String id = "n".repeat(65);
        assertEquals("NODE_ID=" + id + ": longer than 64 characters", failure("NODE_ID", id));
        assertEquals(id.substring(1), load("NODE_ID", id.substring(1)).nodeId());
    }

    @Test
    void escapesControlCharactersInTheValueShown()
    {
        assertEquals("NODE_ID=a\\x1b[31mb: only A-Z a-z 0-9 _ . - are allowed", failure("NODE_ID", "a\u001b[31mb"));
    }

    @Test
    void neverShowsAnApiKeyInAnError()
    {
        final String shortKey = "tooShort";
        final String message = failure("API_KEYS", KEY_A + "," + shortKey);
        assertEquals("API_KEYS=<redacted>: entry 2: 8 characters long; a key needs 16-256", message);

        final String spaced = "has a space inside it";
        final String spacedMessage = failure("API_KEYS", KEY_A + ",," + spaced);
        assertEquals(
            "API_KEYS=<redacted>: entry 3: only printable ASCII without spaces or commas is allowed", spacedMessage);

        final String nonAscii = "k\u00e9y-AAAAAAAAAAAAAAAAAA";
        assertFalse(failure("API_KEYS", nonAscii).contains(nonAscii));
        assertTrue(failure("API_KEYS", "x".repeat(257)).endsWith("entry 1: 257 characters long; a key needs 16-256"));
    }

    @Test
    void neverShowsRedisCredentialsInAnErrorOrInToString()
    {
        final String message = failure("REDIS_URL", "redis://:hunter2@h:0");
        assertEquals("REDIS_URL=redis://<redacted>@h:0: the port must be 1-65535", message);

        final String withHash = failure("REDIS_URL", "redis://:hun#ter2@h:6379");
        assertEquals("REDIS_URL=redis://<redacted>@h:6379: '/', '?' or '#' in the user name or password must be " +
            "percent-encoded (%2F, %3F, %23)", withHash);
        assertEquals("rediss://[::1]", load("REDIS_URL", "rediss://[::1]").redisUrl());

        final String text = load("REDIS_URL", "redis://user:hunter2@redis:6379/1", "API_KEYS", KEY_A + "," + KEY_B)
            .toString();
        assertFalse(text.contains("hunter2"), text);
        assertFalse(text.contains(KEY_A), text);
        assertFalse(text.contains(KEY_B), text);
        assertTrue(text.contains("redisUrl=redis://<redacted>@redis:6379/1"), text);
        assertTrue(text.contains("apiKeys=<2 redacted>"), text);
        assertTrue(text.contains("bindAddr=0.0.0.0:4000"), text);
    }

    @Test
    void readsDotEnvAndTheEnvironmentWins() throws IOException
    {
        final Path file = dir.resolve(".env");
        Files.writeString(file, String.join("\n",
            "\uFEFF# SoundRelay node",
            "",
            "NODE_ID=from-dotenv",
            "export LOG_LEVEL=debug",
            "  MAX_STREAMS_PER_NODE = 2000  # inline comment",
            "API_KEYS=\"" + KEY_A + "," + KEY_B + "\"  # two keys",
            "REDIS_URL='redis://:p%23ss@10.0.0.5:6379' # percent-encoded",
            "BIND_ADDR=\"[::]:4000\"",
            "TRANSPORT=epoll",
            "JITTER_BUFFER_MS=10",
            "JITTER_BUFFER_MS=20",
            "OTHER_TOOL_SETTING=whatever",
            "PIN_CPUS="),
            StandardCharsets.UTF_8);

        final Configuration c = Configuration.load(Map.of("TRANSPORT", "nio", "NODE_ID", "from-env"), file);

        assertEquals("from-env", c.nodeId());
        assertEquals(Transport.NIO, c.transport());
        assertEquals(LogLevel.DEBUG, c.logLevel());
        assertEquals(2000, c.maxStreamsPerNode());
        assertEquals(List.of(KEY_A, KEY_B), c.apiKeys());
        assertEquals("redis://:p%23ss@10.0.0.5:6379", c.redisUrl());
        assertEquals(new InetSocketAddress("::", 4000), c.bindAddr());
        assertEquals(20, c.jitterBufferMs());
        assertEquals(List.of(), c.pinCpus());
    }

    @Test
    void dotEnvQuotesAndEscapes() throws IOException
    {
        final Path file = dir.resolve(".env");
        Files.writeString(file, "A=\"x \\\"y\\\" \\\\ #z\"\nB='a \\n b'\nC=\"\"\nD=plain#notacomment\n");

        final Map<String, String> values = Configuration.readDotEnv(file);

        assertEquals(Map.of("A", "x \"y\" \\ #z", "B", "a \\n b", "C", "", "D", "plain#notacomment"), values);
    }

    @Test
    void aValueFromDotEnvThatDoesNotParseNamesVariableAndValue() throws IOException
    {
        final Path file = dir.resolve(".env");
        Files.writeString(file, "RING_SIZE=100\n");

        final ConfigurationException ex =
            assertThrows(ConfigurationException.class, () -> Configuration.load(Map.of(), file));
        assertEquals("RING_SIZE=100: not a power of two (64, 128, ... 1048576)", ex.getMessage());

        assertEquals(128, Configuration.load(Map.of("RING_SIZE", "128"), file).ringSize());
    }

    @Test
    void refusesMalformedDotEnvLinesWithoutQuotingThem() throws IOException
    {
        final Path file = dir.resolve(".env");

        Files.writeString(file, "# ok\nNODE_ID=a\nAPI_KEYS " + KEY_A + "\n");
        final String noEquals = assertThrows(ConfigurationException.class, () -> Configuration.load(null, file))
            .getMessage();
        assertEquals(file + " line 3: expected KEY=VALUE", noEquals);

        Files.writeString(file, "API_KEYS=\"" + KEY_A + "\n");
        final String unterminated = assertThrows(ConfigurationException.class, () -> Configuration.load(null, file))
            .getMessage();
        assertEquals(file + " line 1: the value has no closing \"", unterminated);

        Files.writeString(file, "NODE_ID='a' b\n");
        assertTrue(assertThrows(ConfigurationException.class, () -> Configuration.load(null, file)).getMessage()
            .endsWith("line 1: text after the closing '"));

        Files.writeString(file, "1BAD=x\n");
        assertTrue(assertThrows(ConfigurationException.class, () -> Configuration.load(null, file)).getMessage()
            .contains("line 1: the name before '=' is not a variable name"));
    }

    @Test
    void skipsAMissingDotEnvFile()
    {
        final Configuration c = Configuration.load(Map.of("NODE_ID", "n1"), dir.resolve("absent.env"));

        assertEquals("n1", c.nodeId());
    }
}
