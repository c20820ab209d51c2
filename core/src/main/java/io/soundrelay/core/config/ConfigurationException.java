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
package io.soundrelay.core.config;

/**
 * A setting that does not parse, or a {@code .env} file that cannot be read. The message names the variable and
 * the value, {@code NAME=value: why}, and is meant to be printed as is when the node refuses to start.
 */
public final class ConfigurationException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message {@code NAME=value: why}, or what is wrong with the {@code .env} file.
     */
    public ConfigurationException(final String message)
    {
        super(message);
    }

    /**
     * @param message what is wrong with the {@code .env} file.
     * @param cause   the I/O error.
     */
    public ConfigurationException(final String message, final Throwable cause)
    {
        super(message, cause);
    }
}
