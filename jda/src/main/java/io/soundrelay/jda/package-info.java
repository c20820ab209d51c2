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
/**
 * SoundRelay for JDA: {@link io.soundrelay.jda.SoundRelaySendFactory}, an {@code IAudioSendFactory} that makes a
 * JDA bot's voice connections send their packets through a SoundRelay node. Depends on JDA (provided by the bot)
 * and the JDK only; it speaks the node's control API and wire format (PROTOCOL.md sections 1 and 2) itself.
 */
package io.soundrelay.jda;
