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

import java.net.InetSocketAddress;
import java.util.List;

/**
 * The control plane's settings, each declared once (see {@link Setting}): the HTTP API and its security, the
 * metrics listener, logging and telemetry.
 */
public final class ApiSettings
{
    /** HTTP control API. */
    public static final Setting<InetSocketAddress> CONTROL_API_ADDR = Setting.parsed("CONTROL_API_ADDR",
        "0.0.0.0:4300", "ip:port or [v6]:port", Parsers::socketAddress, "HTTP control API")
        .explained("Where the HTTP control API listens (routes, rooms, /health, /readyz). Bind it to an address " +
            "only your bots and operators reach; with AUTH_ENABLED=false, only to a loopback address.");

    /** Prometheus exposition, path {@code /metrics}. */
    public static final Setting<InetSocketAddress> METRICS_ADDR = Setting.parsed("METRICS_ADDR", "0.0.0.0:9100",
        "ip:port or [v6]:port", Parsers::socketAddress, "Prometheus exposition, path /metrics")
        .explained("Where Prometheus scrapes the node: GET or HEAD /metrics, no key (other methods answer 405, " +
            "other paths 404). The metrics reference lists what it serves.");

    public static final Setting<Boolean> AUTH_ENABLED = Setting.bool("AUTH_ENABLED", true,
        "false turns off API authentication")
        .explained("When true, every control API request but GET /, /health, /livez, /readyz and /metrics needs " +
            "Authorization: Bearer <one of API_KEYS>. When false, none does, so anyone who reaches CONTROL_API_ADDR " +
            "can create routes; the node warns at start-up and in /health when that address is not loopback.");

    public static final int API_KEY_MIN_LENGTH = 16;
    public static final int API_KEY_MAX_LENGTH = 256;

    /** Comma-separated keys, each {@value #API_KEY_MIN_LENGTH}-{@value #API_KEY_MAX_LENGTH} printable ASCII. */
    public static final Setting<List<String>> API_KEYS = Setting.parsed("API_KEYS", "", null,
        (name, value) -> Parsers.apiKeys(name, value, API_KEY_MIN_LENGTH, API_KEY_MAX_LENGTH),
        "comma-separated API keys; empty with auth on: one is generated and printed once").shownAs("empty")
        .allowing("comma-separated keys of " + API_KEY_MIN_LENGTH + "-" + API_KEY_MAX_LENGTH +
            " printable ASCII characters; empty")
        .explained("The keys clients send as Authorization: Bearer <key>; several let you rotate one at a time. " +
            "Empty with AUTH_ENABLED=true: the node generates a key and logs it once at start-up. The node never " +
            "logs a configured key.");

    public static final Setting<LogLevel> LOG_LEVEL = Setting.choiceIgnoringCase("LOG_LEVEL", LogLevel.INFO,
        LogLevel.values(), LogLevel::configName, "trace, debug, info, warn or error, in any case")
        .explained("The least level the node logs, to standard error.");

    /**
     * Most TCP connections the control API (and the metrics listener) holds open at once; each takes a file
     * descriptor, counted with the relay ports against RLIMIT_NOFILE at start-up.
     */
    public static final Setting<Integer> CONTROL_API_MAX_CONNECTIONS = Setting.integer("CONTROL_API_MAX_CONNECTIONS",
        256, 8, 65_535, "most HTTP connections open at once, API and metrics listeners together ({min}-{max})")
        .explained("Most HTTP connections open at once, API and metrics listeners together; one client address " +
            "may hold a quarter of them. At the cap a new connection takes the place of the oldest one with no " +
            "request in progress. Counted with the relay ports against RLIMIT_NOFILE at start-up.");

    /**
     * Requests per second one client address may make without a valid API key (/health, /metrics, and every failed
     * authentication), as a token bucket refilled at this rate; 0 turns the limit off.
     */
    public static final Setting<Integer> UNAUTH_RATE_PER_SECOND = Setting.integer("UNAUTH_RATE_PER_SECOND", 20, 0,
        1_000_000, "requests per second per client address without a valid API key, failed ones included; " +
        "over it: 429 (0 for no limit, max {max})")
        .explained("Requests per second one client address may make without a valid API key: /health and " +
            "/metrics without one, the metrics listener, and every failed authentication; 0 turns the limit " +
            "off. Over it: 429 with Retry-After.");

    /** The bucket of {@link #UNAUTH_RATE_PER_SECOND}: how many such requests an address may make at once. */
    public static final Setting<Integer> UNAUTH_RATE_BURST = Setting.integer("UNAUTH_RATE_BURST", 60, 1, 1_000_000,
        "how many of those requests one address may make at once ({min}-{max})")
        .explained("How many such requests one address may make at once before UNAUTH_RATE_PER_SECOND applies.");

    /** Prefix of the OpenTelemetry variables handed to the SDK's autoconfiguration. */
    public static final String OTEL_PREFIX = "OTEL_";

    /** The page heading of these settings. */
    static final String TITLE = "Control API, security and logging";

    /** What the reference page says of these settings first. */
    static final String INTRO = "The HTTP control API and its keys and limits, the metrics listener, and logging. " +
        "Variables starting with " + OTEL_PREFIX + " go to the OpenTelemetry SDK (tracing export).";

    /** Every declaration of this class, in the order of the reference page. */
    static final List<Setting<?>> SETTINGS = List.of(CONTROL_API_ADDR, METRICS_ADDR, AUTH_ENABLED, API_KEYS,
        CONTROL_API_MAX_CONNECTIONS, UNAUTH_RATE_PER_SECOND, UNAUTH_RATE_BURST, LOG_LEVEL);

    private ApiSettings()
    {
    }
}
