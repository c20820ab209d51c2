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

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The metrics reference page: generated from the metrics the node registers, the same metrics a running node serves,
 * and the page in the repository the same as what the code generates.
 */
class MetricsReferenceTest
{
    /** The checked-in page, from control's directory. */
    private static final Path PAGE = Path.of("..", "docs", "reference", "metrics.md");

    @Test
    void theCheckedInPageIsWhatTheRegistrationGenerates() throws Exception
    {
        final String generated = MetricsReference.markdown();
        final String checkedIn = Files.exists(PAGE) ? Files.readString(PAGE, StandardCharsets.UTF_8) : "";
        if (!checkedIn.equals(generated))
        {
            final Path written = Path.of("target", "reference", "metrics.md");
            Files.createDirectories(written.getParent());
            Files.writeString(written, generated, StandardCharsets.UTF_8);
            fail(PAGE.normalize() + " differs from what the code generates. Regenerate it from the repository's " +
                "root: " + MetricsReference.REGENERATE + " (the generated text is also in " +
                written.toAbsolutePath().normalize() + ")");
        }
    }

    @Test
    void thePageNamesEveryMetricARunningNodeServesAndNoOther() throws Exception
    {
        final Set<String> served = new TreeSet<>();
        try (NodeFixture node = NodeFixture.start(Map.of("ENABLE_MIXER", "true")))
        {
            final String url = "http://127.0.0.1:" + node.node.metricsAddress().getPort() + "/metrics";
            assertEquals(200, node.call("GET", "/health", null).statusCode()); // http_requests shows once counted
            final HttpResponse<String> get = node.http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
            assertEquals(200, get.statusCode());
            final Matcher type = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$").matcher(get.body());
            while (type.find())
            {
                served.add(type.group(1).replaceFirst("_total$", ""));
            }
        }
        final Set<String> documented = new TreeSet<>();
        final Matcher row = Pattern.compile("(?m)^\\| `([a-z_]+)`").matcher(MetricsReference.markdown());
        while (row.find())
        {
            documented.add(row.group(1).replaceFirst("_(total|bucket)$", ""));
        }
        assertTrue(served.size() > 20, served.toString());
        assertEquals(served, documented);
    }

    @Test
    void eachRowShowsTypeLabelValuesAndHelp()
    {
        final String page = MetricsReference.markdown();
        assertTrue(page.contains("| `relay_packets_received_total` | counter | none | Datagrams received on the " +
            "relay socket. |"), page);
        assertTrue(page.contains("| `relay_drain_migrations_total` | counter | `result`: `failed`, `ok`, `skipped` |"),
            page);
        // Every op and result, though a node shows most only once they count.
        assertTrue(page.contains("`op`: `connect`, `del`, `expire`, `heartbeat`, `publish`, `read`, `scan`, `set`, " +
            "`subscribe`, `takeover`; `result`: `conflict`, `dropped`, `error`, `ok`, `queued`, `skipped`"), page);
        assertTrue(page.contains("`method`: `DELETE`, `GET`, `HEAD`, `OPTIONS`, `OTHER`, `PATCH`, `POST`, `PUT`; " +
            "`status`: the status code answered"), page);
        assertTrue(page.contains("| `relay_packet_processing_duration_seconds_bucket`, `_sum`, `_count` | " +
            "histogram | `le`: 0.000001 to 1 s in 19 buckets, and +Inf |"), page);
    }
}
