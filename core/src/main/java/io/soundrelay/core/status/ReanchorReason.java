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
package io.soundrelay.core.status;

/**
 * Why a paced route's clock started over (PROTOCOL.md section 10): {@code relay_pace_reanchors_total{reason}}.
 * The label set is fixed, so the metric's cardinality is too.
 */
public enum ReanchorReason
{
    /**
     * A datagram was due more than {@code pace_ms} ahead: the source's clock runs fast or its timestamps jumped. What
     * the route held leaves at once, in order, and the datagram anchors the clock anew.
     */
    AHEAD("ahead"),
    /**
     * A datagram was already due when it came (the source fell behind, or resumed after a silence): it leaves at once
     * and anchors the clock, so the ones after it are spaced, not sent in a burst.
     */
    BEHIND("behind"),
    /**
     * The route held as many datagrams as it may ({@code pace_ms} / 20 ms + 2), or the node-wide pool
     * ({@code PACE_MAX_HELD}) had no free place: what the route held leaves at once, in order, and the datagram
     * anchors the clock anew.
     */
    FULL("full");

    private static final ReanchorReason[] VALUES = values();

    private final String label;

    ReanchorReason(final String label)
    {
        this.label = label;
    }

    /**
     * @return the value of the metric's {@code reason} label.
     */
    public String label()
    {
        return label;
    }

    /**
     * @return every reason, in declaration order; the same array each call: do not modify.
     */
    public static ReanchorReason[] all()
    {
        return VALUES;
    }
}
