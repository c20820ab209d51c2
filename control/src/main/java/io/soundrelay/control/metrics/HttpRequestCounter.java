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
package io.soundrelay.control.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts control API requests by method and status. Methods outside a fixed set are counted as {@code OTHER}, so
 * the label set stays bounded whatever clients send; paths are never a label.
 */
public final class HttpRequestCounter
{
    private static final Set<String> METHODS = Set.of(
        "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH");

    /** What a method outside {@link #METHODS} is counted as. */
    private static final String OTHER = "OTHER";

    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    /**
     * @return every value of the {@code method} label, in a stable order.
     */
    public static List<String> methods()
    {
        final List<String> methods = new ArrayList<>(new TreeSet<>(METHODS));
        methods.add(OTHER);
        return List.copyOf(methods);
    }

    /**
     * @param method HTTP method as received.
     * @param status response status.
     */
    public void record(final String method, final int status)
    {
        final String m = METHODS.contains(method) ? method : OTHER;
        counts.computeIfAbsent(m + ' ' + status, k -> new LongAdder()).increment();
    }

    /**
     * @return a copy: "METHOD STATUS" to count.
     */
    public Map<String, Long> snapshot()
    {
        final Map<String, Long> copy = new TreeMap<>();
        counts.forEach((k, v) -> copy.put(k, v.sum()));
        return copy;
    }
}
