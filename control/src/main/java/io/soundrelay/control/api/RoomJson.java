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
package io.soundrelay.control.api;

import io.soundrelay.core.json.JsonWriter;
import io.soundrelay.io.mix.RoomView;

/**
 * A mixer room as {@code GET /rooms} and {@code GET /rooms/{code}} show it:
 * <pre>
 * {"room_code", "output_stream_id", "kind": "pcm"|"opus"|null, "frame_samples",
 *  "members": [{"stream_id", "mix_minus"}…], "frames_in", "frames_mixed", "frames_late", "sources_silent"}
 * </pre>
 */
final class RoomJson
{
    private RoomJson()
    {
    }

    static void write(final JsonWriter w, final RoomView room)
    {
        w.beginObject();
        w.name("room_code").value(room.roomCode());
        w.name("output_stream_id").value(Long.toUnsignedString(room.outputStreamId()));
        w.name("kind");
        if (room.kind() == null)
        {
            w.nullValue();
        }
        else
        {
            w.value(room.kind());
        }
        w.name("frame_samples").value(room.frameSamples());
        w.name("members").beginArray();
        for (final RoomView.Member member : room.members())
        {
            w.beginObject();
            w.name("stream_id").value(Long.toUnsignedString(member.streamId()));
            w.name("mix_minus").value(member.mixMinus());
            w.endObject();
        }
        w.endArray();
        w.name("frames_in").value(room.framesIn());
        w.name("frames_mixed").value(room.framesMixed());
        w.name("frames_late").value(room.framesLate());
        w.name("sources_silent").value(room.sourcesSilent());
        w.name("encodes").value(room.encodes());
        w.name("mix_minus_skipped").value(room.mixMinusSkipped());
        w.endObject();
    }
}
