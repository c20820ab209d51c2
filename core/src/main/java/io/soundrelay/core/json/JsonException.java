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
package io.soundrelay.core.json;

/**
 * Text that is not the strict JSON {@link Json} accepts. The message says what is wrong, for a person, and where.
 */
public final class JsonException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int offset;

    /**
     * @param reason what is wrong.
     * @param offset character offset in the text where the problem was found.
     */
    public JsonException(final String reason, final int offset)
    {
        super(reason + " at offset " + offset);
        this.offset = offset;
    }

    /**
     * @return character offset in the text where the problem was found.
     */
    public int offset()
    {
        return offset;
    }
}
