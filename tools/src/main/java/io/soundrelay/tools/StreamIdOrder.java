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
package io.soundrelay.tools;

/** How the load generator picks its streams' ids ({@code loadgen --stream-ids}). */
public enum StreamIdOrder
{
    /** {@code --first-stream-id} onwards, one after the other. */
    CONSECUTIVE,
    /** Distinct random ids from a seeded generator ({@code --stream-id-seed}). */
    RANDOM
}
