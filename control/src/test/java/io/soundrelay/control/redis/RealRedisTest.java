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
package io.soundrelay.control.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.soundrelay.control.RedisServer;
import io.soundrelay.core.route.RouteEntry;
import io.soundrelay.core.route.RouteRequestParser;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import java.time.Duration;

/**
 * What the tests of the store's parts share: a redis-server of the test's own on a free port, a Lettuce client and
 * one connection to it, and routes to write.
 */
abstract class RealRedisTest
{
    final RouteRequestParser parser = new RouteRequestParser(16, 0);
    RedisServer redis;
    RedisClient client;
    StatefulRedisConnection<String, String> connection;

    @BeforeEach
    void startRedis() throws Exception
    {
        redis = RedisServer.start();
        client = RedisClient.create(RedisURI.builder().withHost("127.0.0.1").withPort(redis.port())
            .withTimeout(Duration.ofSeconds(2)).build());
        connection = client.connect();
    }

    @AfterEach
    void stopRedis() throws Exception
    {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        redis.close();
    }

    /** A route of stream {@code id} from 10.0.0.1:5000 to one target. */
    RouteEntry route(final long id, final String target)
    {
        return new RouteEntry(parser.parse("{\"stream_id\":" + id + ",\"source_addr\":\"10.0.0.1:5000\"," +
            "\"target_addrs\":[\"" + target + "\"]}", null), 1_700_000_000_000L);
    }
}
