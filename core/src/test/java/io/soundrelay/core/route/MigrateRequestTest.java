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

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class MigrateRequestTest
{
    private static MigrateRequest parse(final String body)
    {
        return MigrateRequest.parse(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void takesTheStreamIdAsANumberOrADecimalString()
    {
        final MigrateRequest number =
            parse("{\"stream_id\": 18446744073709551615, \"new_node_addr\": \"10.0.0.2:4000\"}");
        assertEquals(-1L, number.streamId());
        assertEquals(Endpoint.parse("10.0.0.2:4000"), number.newNodeAddr());
        assertEquals(7L, parse("{\"stream_id\": \"7\", \"new_node_addr\": \"[::1]:4000\"}").streamId());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"new_node_addr\": \"10.0.0.2:4000\"}                                | stream_id",
        "{\"stream_id\": 0, \"new_node_addr\": \"10.0.0.2:4000\"}                | stream_id",
        "{\"stream_id\": -1, \"new_node_addr\": \"10.0.0.2:4000\"}               | stream_id",
        "{\"stream_id\": 1}                                                    | new_node_addr",
        "{\"stream_id\": 1, \"new_node_addr\": \"node-b\"}                        | new_node_addr",
        "{\"stream_id\": 1, \"new_node_addr\": \"10.0.0.2:0\"}                    | new_node_addr",
        "{\"stream_id\": 1, \"new_node_addr\": 4000}                             | new_node_addr",
        "{\"stream_id\": 1, \"new_node_addr\": \"10.0.0.2:4000\", \"force\": true}  | force",
    })
    void refusesNamingTheField(final String body, final String field)
    {
        final ValidationException ex = assertThrows(ValidationException.class, () -> parse(body));
        assertEquals(field, ex.field(), ex.getMessage());
        assertEquals(400, ex.status());
    }

    @Test
    void refusesWhatIsNotAJsonObject()
    {
        assertEquals(400, assertThrows(ValidationException.class, () -> parse("[]")).status());
        assertEquals(400, assertThrows(ValidationException.class, () -> parse("")).status());
        assertEquals(413, assertThrows(ValidationException.class,
            () -> parse("{\"stream_id\": \"" + "1".repeat(70_000) + "\"}")).status());
    }
}
