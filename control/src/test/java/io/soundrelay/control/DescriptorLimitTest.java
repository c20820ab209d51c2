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
package io.soundrelay.control;

import io.soundrelay.core.json.Json;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A node under a low RLIMIT_NOFILE (issue 29, finding 5), run as its own process under {@code prlimit}: settings that
 * cannot fit stop it at start-up naming the variables; with the defaults it starts, its relay ports stop short of the
 * descriptors the API keeps (503 naming {@code return_path}, where the node used to answer 500 once the process was
 * out of descriptors), and /health answers while more idle connections than the cap are held open.
 */
class DescriptorLimitTest
{
    private static final List<String> NOFILE_512 = List.of("prlimit", "--nofile=512:512", "--");
    private static final List<String> NOFILE_700 = List.of("prlimit", "--nofile=700:700", "--");

    @Test
    void settingsThatCannotFitTheLimitStopTheNodeNamingThem() throws Exception
    {
        final String result = NodeProcess.runToExit(NOFILE_512,
            Map.of("MAX_STREAMS_PER_NODE", "2000", "RELAY_PORTS", "46000-47999"));
        final int code = Integer.parseInt(result.substring(0, result.indexOf('\n')));
        assertEquals(2, code, result);
        final String line = result.lines().filter(l -> l.contains("invalid configuration")).findFirst().orElse("");
        assertTrue(line.contains("MAX_STREAMS_PER_NODE=2000"), result);
        assertTrue(line.contains("CONTROL_API_MAX_CONNECTIONS=256"), result);
        assertTrue(line.contains("RLIMIT_NOFILE=512"), result);
    }

    @Test
    void settingsThatFitStart() throws Exception
    {
        try (NodeProcess node = NodeProcess.start(NOFILE_512,
            Map.of("MAX_STREAMS_PER_NODE", "50", "CONTROL_API_MAX_CONNECTIONS", "64", "RELAY_PORTS", "46000-47999")))
        {
            assertEquals(200, node.call("GET", "/health", null).statusCode());
        }
    }

    /**
     * The process's limit lowered under the running node (prlimit --pid), below what its budget was made for: the
     * kernel itself refuses a relay port with EMFILE, and the route is answered 503 naming return_path, not 500.
     */
    @Test
    void aRelayPortTheKernelRefusesWithEmfileIsA503() throws Exception
    {
        try (NodeProcess node = NodeProcess.start(List.of("prlimit", "--nofile=4096:4096", "--"),
            Map.of("RELAY_PORTS", "46000-46999")))
        {
            assertEquals(200, node.call("GET", "/health", null).statusCode()); // the client's connection is open
            final Process lower = new ProcessBuilder("prlimit", "--pid", Long.toString(node.pid()), "--nofile=300:300")
                .inheritIO().start();
            assertEquals(0, lower.waitFor());
            HttpResponse<String> last = null;
            int created = 0;
            for (int i = 1; i <= 1000; i++)
            {
                last = node.call("POST", "/route", "{\"stream_id\":" + i + ",\"source_addr\":\"127.0.0.3:5000\"," +
                    "\"target_addrs\":[\"127.0.0.2:6000\"],\"return_path\":true}");
                if (last.statusCode() != 201)
                {
                    break;
                }
                created++;
            }
            assertEquals(503, last.statusCode(), "after " + created + " relay ports: " + last.body());
            final Map<?, ?> error = (Map<?, ?>)Json.parse(last.body());
            assertEquals("return_path", error.get("field"), last.body());
            assertTrue(((String)error.get("error")).contains("too many open files"), last.body());
            assertTrue(created > 0 && created < 300, "relay ports given: " + created);
            assertEquals(200, node.call("GET", "/health", null).statusCode());
        }
    }

    @Test
    void relayPortsStopShortOfTheApisDescriptorsAndHealthAnswersPastTheConnectionCap() throws Exception
    {
        // Defaults (MAX_STREAMS_PER_NODE 1000, CONTROL_API_MAX_CONNECTIONS 256) under a limit they do not fit: the
        // node starts and says how many relay ports it can give.
        try (NodeProcess node = NodeProcess.start(NOFILE_700, Map.of("RELAY_PORTS", "46000-47999")))
        {
            final String plain = "{\"stream_id\":9999,\"source_addr\":\"127.0.0.3:5999\"," +
                "\"target_addrs\":[\"127.0.0.2:6000\"]";
            assertEquals(201, node.call("POST", "/route", plain + "}").statusCode());
            HttpResponse<String> last = null;
            int created = 0;
            for (int i = 1; i <= 1000; i++)
            {
                last = node.call("POST", "/route", "{\"stream_id\":" + i + ",\"source_addr\":\"127.0.0.3:5000\"," +
                    "\"target_addrs\":[\"127.0.0.2:6000\"],\"return_path\":true}");
                if (last.statusCode() != 201)
                {
                    break;
                }
                created++;
            }
            assertEquals(503, last.statusCode(), "after " + created + " relay ports: " + last.body());
            final Map<?, ?> error = (Map<?, ?>)Json.parse(last.body());
            assertEquals("return_path", error.get("field"), last.body());
            assertTrue(((String)error.get("error")).contains("RLIMIT_NOFILE"), last.body());
            assertTrue(created >= 100, "relay ports given: " + created);
            final HttpResponse<String> gain = node.call("PUT", "/route/9999", plain + ",\"return_path\":true}");
            assertEquals(503, gain.statusCode(), "a PUT that asks for a relay port: " + gain.body());
            assertEquals("return_path", ((Map<?, ?>)Json.parse(gain.body())).get("field"), gain.body());
            assertTrue(node.log().contains("RLIMIT_NOFILE=700"), "the start-up warning: " + node.log());

            // Idle connections, more than CONTROL_API_MAX_CONNECTIONS, from four addresses: none of them sends a byte.
            final InetSocketAddress api = node.apiAddress();
            final List<Socket> idle = new ArrayList<>();
            try
            {
                for (int i = 0; i < 320; i++)
                {
                    final Socket socket = new Socket();
                    idle.add(socket);
                    socket.bind(new InetSocketAddress("127.0.0." + (1 + i % 4), 0));
                    socket.connect(api, 5000);
                }
                final RawHttp.Reply health = HttpFloodTest.from("127.0.0.5", api,
                    RawHttp.request("GET", "/health", null));
                assertEquals(200, health.status, health.text());
                final RawHttp.Reply create = HttpFloodTest.from("127.0.0.5", api, RawHttp.request("POST", "/route",
                    RawHttp.utf8("{\"stream_id\":5000,\"source_addr\":\"127.0.0.3:5001\"," +
                    "\"target_addrs\":[\"127.0.0.2:6000\"]}"), "Authorization: Bearer " + NodeProcess.KEY));
                assertEquals(201, create.status, create.text());
            }
            finally
            {
                for (final Socket socket : idle)
                {
                    socket.close();
                }
            }
            assertTrue(node.metrics().get("relay_http_connections_shed_total{reason=\"idle_evicted\"}") >= 1);
        }
    }
}
