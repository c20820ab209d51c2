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
package io.soundrelay.control;

import io.soundrelay.core.json.Json;
import io.soundrelay.core.json.JsonException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, bytes written exactly as given: duplicate headers, broken framing and requests that
 * are not HTTP reach the server unmodified, as no HTTP client library would send them.
 */
final class RawHttp
{
    /** Longest a test waits for the server to answer and close; a condition, never a pause. */
    static final int READ_TIMEOUT_MS = 30_000;

    private static final byte[] HEAD_END = { '\r', '\n', '\r', '\n' };

    private RawHttp()
    {
    }

    /**
     * What came back on one connection: the first response, parsed, and every byte the server sent.
     */
    static final class Reply
    {
        final byte[] raw;
        final int status;
        final Map<String, List<String>> headers;
        final String body;
        final boolean closed;

        Reply(final byte[] raw, final boolean closed)
        {
            this.raw = raw;
            this.closed = closed;
            final int headEnd = indexOf(raw, HEAD_END, 0);
            final Map<String, List<String>> h = new LinkedHashMap<>();
            int code = -1;
            String text = "";
            if (headEnd >= 0)
            {
                final String[] lines = new String(raw, 0, headEnd, StandardCharsets.ISO_8859_1).split("\r\n");
                final String[] statusLine = lines[0].split(" ", 3);
                if (statusLine.length >= 2 && statusLine[0].startsWith("HTTP/"))
                {
                    try
                    {
                        code = Integer.parseInt(statusLine[1]);
                    }
                    catch (final NumberFormatException ignore)
                    {
                        code = -1;
                    }
                }
                for (int i = 1; i < lines.length; i++)
                {
                    final int colon = lines[i].indexOf(':');
                    if (colon > 0)
                    {
                        h.computeIfAbsent(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                            k -> new ArrayList<>()).add(lines[i].substring(colon + 1).trim());
                    }
                }
                text = body(raw, headEnd + HEAD_END.length, h);
            }
            status = code;
            headers = h;
            body = text;
        }

        String header(final String name)
        {
            final List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null ? null : values.get(0);
        }

        /**
         * @return the "error" string of a JSON error body, or null when the body is not one.
         */
        String jsonError()
        {
            final String type = header("Content-Type");
            if (type == null || !type.startsWith("application/json"))
            {
                return null;
            }
            try
            {
                final Object parsed = Json.parse(body);
                if (parsed instanceof Map && ((Map<?, ?>)parsed).get("error") instanceof String)
                {
                    return (String)((Map<?, ?>)parsed).get("error");
                }
                return null;
            }
            catch (final JsonException ex)
            {
                return null;
            }
        }

        /**
         * @return the "field" of a JSON error body, or null.
         */
        String jsonField()
        {
            final Object parsed = Json.parse(body);
            final Object field = parsed instanceof Map ? ((Map<?, ?>)parsed).get("field") : null;
            return field instanceof String ? (String)field : null;
        }

        /**
         * @return the whole exchange as text, for an assertion message.
         */
        String text()
        {
            final String all = new String(raw, StandardCharsets.ISO_8859_1);
            return all.length() <= 600 ? all : all.substring(0, 600) + "...(" + raw.length + " bytes)";
        }

        private static String body(final byte[] raw, final int start, final Map<String, List<String>> h)
        {
            final List<String> length = h.get("content-length");
            final List<String> encoding = h.get("transfer-encoding");
            if (length != null)
            {
                final int n = Math.min(Integer.parseInt(length.get(0)), raw.length - start);
                return new String(raw, start, Math.max(n, 0), StandardCharsets.UTF_8);
            }
            if (encoding != null && encoding.get(0).equalsIgnoreCase("chunked"))
            {
                final ByteArrayOutputStream out = new ByteArrayOutputStream();
                int at = start;
                while (true)
                {
                    final int lineEnd = indexOf(raw, new byte[] { '\r', '\n' }, at);
                    if (lineEnd < 0)
                    {
                        break;
                    }
                    final int size = Integer.parseInt(
                        new String(raw, at, lineEnd - at, StandardCharsets.ISO_8859_1).split(";")[0].trim(), 16);
                    if (size == 0 || lineEnd + 2 + size > raw.length)
                    {
                        break;
                    }
                    out.write(raw, lineEnd + 2, size);
                    at = lineEnd + 2 + size + 2;
                }
                return out.toString(StandardCharsets.UTF_8);
            }
            return new String(raw, start, raw.length - start, StandardCharsets.UTF_8);
        }
    }

    /**
     * Send bytes on a new connection and read until the server closes it.
     *
     * @param to      the server.
     * @param request exactly what to write.
     * @return what came back; {@link Reply#closed} is false when the server kept the connection open for
     *         {@link #READ_TIMEOUT_MS}.
     * @throws IOException when the connection cannot be made.
     */
    static Reply send(final InetSocketAddress to, final byte[] request) throws IOException
    {
        return send(to, request, false);
    }

    /**
     * Send bytes on a new connection, optionally end the stream (half-close), and read until the server closes it.
     *
     * @param to        the server.
     * @param request   exactly what to write.
     * @param halfClose whether to shut down the output after the request, as a client that gives up would.
     * @return what came back; {@link Reply#closed} is false when the server kept the connection open for
     *         {@link #READ_TIMEOUT_MS}.
     * @throws IOException when the connection cannot be made.
     */
    static Reply send(final InetSocketAddress to, final byte[] request, final boolean halfClose) throws IOException
    {
        try (Socket socket = new Socket())
        {
            socket.connect(to, 5000);
            socket.setSoTimeout(READ_TIMEOUT_MS);
            try
            {
                socket.getOutputStream().write(request);
                socket.getOutputStream().flush();
                if (halfClose)
                {
                    socket.shutdownOutput();
                }
            }
            catch (final IOException ex)
            {
                // The server may answer and close before it has read everything (413 on the declared length).
            }
            return readToEnd(socket);
        }
    }

    /**
     * Read until the server closes the connection (end of stream or reset) or {@link #READ_TIMEOUT_MS} passes.
     *
     * @param socket connected, with its read timeout set.
     * @return what came back.
     */
    static Reply readToEnd(final Socket socket)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean closed = false;
        try
        {
            final InputStream in = socket.getInputStream();
            final byte[] buffer = new byte[8192];
            while (true)
            {
                final int n = in.read(buffer);
                if (n < 0)
                {
                    closed = true;
                    break;
                }
                out.write(buffer, 0, n);
            }
        }
        catch (final SocketTimeoutException ex)
        {
            closed = false;
        }
        catch (final SocketException ex)
        {
            // A reset: the server closed with bytes of ours unread. What it sent before is already in `out`.
            closed = true;
        }
        catch (final IOException ex)
        {
            closed = true;
        }
        return new Reply(out.toByteArray(), closed);
    }

    /**
     * Build a request: the request line, the headers as given, then the body. No header is added.
     *
     * @param requestLine such as {@code GET / HTTP/1.1}.
     * @param body        bytes after the blank line, or null.
     * @param headers     complete header lines such as {@code Host: x}.
     * @return the bytes.
     */
    static byte[] raw(final String requestLine, final byte[] body, final String... headers)
    {
        final StringBuilder head = new StringBuilder(requestLine).append("\r\n");
        for (final String header : headers)
        {
            head.append(header).append("\r\n");
        }
        head.append("\r\n");
        final byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
        if (body == null)
        {
            return h;
        }
        final byte[] all = Arrays.copyOf(h, h.length + body.length);
        System.arraycopy(body, 0, all, h.length, body.length);
        return all;
    }

    /**
     * Build a well-framed request that closes its connection: Host, Connection: close and, with a body,
     * Content-Length, then the extra headers as given.
     *
     * @param method  the method.
     * @param target  the request target.
     * @param body    the body or null.
     * @param headers extra header lines.
     * @return the bytes.
     */
    static byte[] request(final String method, final String target, final byte[] body, final String... headers)
    {
        final List<String> all = new ArrayList<>();
        all.add("Host: 127.0.0.1");
        all.add("Connection: close");
        if (body != null)
        {
            all.add("Content-Length: " + body.length);
        }
        all.addAll(Arrays.asList(headers));
        return raw(method + " " + target + " HTTP/1.1", body, all.toArray(new String[0]));
    }

    static byte[] utf8(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(final byte[]... parts)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (final byte[] part : parts)
        {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    private static int indexOf(final byte[] haystack, final byte[] needle, final int from)
    {
        outer:
        for (int i = from; i <= haystack.length - needle.length; i++)
        {
            for (int j = 0; j < needle.length; j++)
            {
                if (haystack[i + j] != needle[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
