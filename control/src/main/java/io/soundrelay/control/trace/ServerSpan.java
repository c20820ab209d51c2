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
package io.soundrelay.control.trace;

import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Context;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The SERVER span of one control-API request ({@link NodeTracing#startRequest}), ended once.
 */
final class ServerSpan implements NodeTracing.RequestSpan
{
    private final Span span;
    private final Context context;
    private final AtomicBoolean ended = new AtomicBoolean();

    ServerSpan(final Span span, final Context context)
    {
        this.span = span;
        this.context = context;
    }

    @Override
    public Context context()
    {
        return context;
    }

    @Override
    public void end(final int status)
    {
        if (!ended.compareAndSet(false, true))
        {
            return;
        }
        span.setAttribute(NodeTracing.HTTP_RESPONSE_STATUS_CODE, status);
        if (status >= 500)
        {
            span.setAttribute(NodeTracing.ERROR_TYPE, Integer.toString(status));
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
    }
}
