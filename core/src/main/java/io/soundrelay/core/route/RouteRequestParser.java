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
package io.soundrelay.core.route;

import io.soundrelay.core.json.Json;
import io.soundrelay.core.json.JsonException;
import io.soundrelay.core.json.JsonNumber;
import io.soundrelay.core.json.JsonWriter;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the body of {@code POST /route} or {@code PUT /route/{id}} into a {@link RouteSpec}, refusing anything the
 * contract does not allow with a {@link ValidationException} that names the field at fault:
 * <pre>
 * {"stream_id": u64 | "decimal", "source_addr": "ip:port", "target_addrs": ["ip:port", ...],
 *  "room_code": string?, "deliver": "payload" | "framed"?, "jitter_ms": int?, "mix_minus": bool?,
 *  "return_path": bool?, "pace_ms": int?, "latch": "first" | "discovery"?, "source_latched": null?}
 * </pre>
 * {@code "source_latched": null} clears a port-0 source's latch ({@link #parseUpdate}); it is the only value it takes.
 * Stateless once built: one instance may serve every request thread.
 */
public final class RouteRequestParser
{
    /** Largest request body accepted; a larger one is answered {@code 413}. */
    public static final int MAX_BODY_BYTES = 64 * 1024;

    public static final String STREAM_ID = "stream_id";
    public static final String SOURCE_ADDR = "source_addr";
    public static final String TARGET_ADDRS = "target_addrs";
    public static final String ROOM_CODE = "room_code";
    public static final String DELIVER = "deliver";
    public static final String JITTER_MS = "jitter_ms";
    public static final String MIX_MINUS = "mix_minus";
    public static final String RETURN_PATH = "return_path";
    public static final String PACE_MS = "pace_ms";
    public static final String LATCH = "latch";
    public static final String SOURCE_LATCHED = "source_latched";

    private static final Set<String> FIELDS = Set.of(STREAM_ID, SOURCE_ADDR, TARGET_ADDRS, ROOM_CODE, DELIVER,
        JITTER_MS, MIX_MINUS, RETURN_PATH, PACE_MS, LATCH, SOURCE_LATCHED);
    private static final String FIELD_LIST = "stream_id, source_addr, target_addrs, room_code, deliver, jitter_ms, " +
        "mix_minus, return_path, pace_ms, latch and source_latched";
    private static final String STREAM_ID_RANGE = "1-18446744073709551615";
    private static final int MAX_ECHO_LENGTH = 32;

    private final int maxTargetsPerRoute;
    private final int defaultJitterMs;
    private final int defaultPaceMs;
    private final AddressPolicy policy;

    /**
     * @param maxTargetsPerRoute most targets a route may have, from {@code MAX_TARGETS_PER_ROUTE}.
     * @param defaultJitterMs    jitter buffer of a route that does not ask, from {@code JITTER_BUFFER_MS}.
     */
    public RouteRequestParser(final int maxTargetsPerRoute, final int defaultJitterMs)
    {
        this(maxTargetsPerRoute, defaultJitterMs, AddressPolicy.defaults());
    }

    /**
     * @param maxTargetsPerRoute most targets a route may have, from {@code MAX_TARGETS_PER_ROUTE}.
     * @param defaultJitterMs    jitter buffer of a route that does not ask, from {@code JITTER_BUFFER_MS}.
     * @param policy             which sources and targets a request may name.
     */
    public RouteRequestParser(final int maxTargetsPerRoute, final int defaultJitterMs, final AddressPolicy policy)
    {
        this(maxTargetsPerRoute, defaultJitterMs, 0, policy);
    }

    /**
     * @param maxTargetsPerRoute most targets a route may have, from {@code MAX_TARGETS_PER_ROUTE}.
     * @param defaultJitterMs    jitter buffer of a route that does not ask, from {@code JITTER_BUFFER_MS}.
     * @param defaultPaceMs      pacing of a route that does not ask, from {@code PACE_MS}.
     * @param policy             which sources and targets a request may name.
     */
    public RouteRequestParser(
        final int maxTargetsPerRoute, final int defaultJitterMs, final int defaultPaceMs, final AddressPolicy policy)
    {
        this.policy = policy;
        if (defaultPaceMs < 0 || defaultPaceMs > RouteSpec.MAX_PACE_MS)
        {
            throw new IllegalArgumentException("defaultPaceMs must be 0-" + RouteSpec.MAX_PACE_MS);
        }
        this.defaultPaceMs = defaultPaceMs;
        if (maxTargetsPerRoute < 1)
        {
            throw new IllegalArgumentException("maxTargetsPerRoute must be at least 1: " + maxTargetsPerRoute);
        }
        if (defaultJitterMs < 0 || defaultJitterMs > RouteSpec.MAX_JITTER_MS)
        {
            throw new IllegalArgumentException("defaultJitterMs must be 0-" + RouteSpec.MAX_JITTER_MS);
        }
        this.maxTargetsPerRoute = maxTargetsPerRoute;
        this.defaultJitterMs = defaultJitterMs;
    }

    /**
     * Parse a body as received: at most {@link #MAX_BODY_BYTES} bytes of UTF-8.
     *
     * @param body         the request body.
     * @param pathStreamId the id in the path for {@code PUT /route/{id}}, null for {@code POST /route}.
     * @return the validated route.
     * @throws ValidationException 413 when the body is too large, 400 for anything else wrong.
     */
    public RouteSpec parse(final byte[] body, final Long pathStreamId)
    {
        return parse(parseObject(body), pathStreamId);
    }

    /**
     * Parse a body already decoded.
     *
     * @param body         the request body.
     * @param pathStreamId the id in the path for {@code PUT /route/{id}}, null for {@code POST /route}.
     * @return the validated route.
     * @throws ValidationException 413 when the body is over {@link #MAX_BODY_BYTES} bytes of UTF-8, 400 for anything
     *                             else wrong.
     */
    public RouteSpec parse(final String body, final Long pathStreamId)
    {
        return parse(parseObject(body), pathStreamId);
    }

    /**
     * A {@code PUT /route/{id}} body: the route that replaces the old one, and whether it clears the latch.
     */
    public static final class Update
    {
        private final RouteSpec spec;
        private final boolean clearsLatch;

        Update(final RouteSpec spec, final boolean clearsLatch)
        {
            this.spec = spec;
            this.clearsLatch = clearsLatch;
        }

        public RouteSpec spec()
        {
            return spec;
        }

        /**
         * @return whether the body has {@code "source_latched": null}: the port latched for a port-0 source is
         * forgotten, and the next datagram from its IP that may latch does.
         */
        public boolean clearsLatch()
        {
            return clearsLatch;
        }
    }

    /**
     * Parse the body of {@code PUT /route/{id}}.
     *
     * @param body         the request body.
     * @param pathStreamId the id in the path.
     * @return the validated route and whether it clears the latch.
     * @throws ValidationException 413 when the body is too large, 400 for anything else wrong.
     */
    public Update parseUpdate(final byte[] body, final long pathStreamId)
    {
        final Map<String, Object> request = parseObject(body);
        return new Update(parse(request, pathStreamId), request.get(SOURCE_LATCHED) == Json.NULL);
    }

    /**
     * Decode a request body as one JSON object, bounded as a route request is.
     *
     * @param body the request body.
     * @return its fields.
     * @throws ValidationException 413 when over {@link #MAX_BODY_BYTES} bytes, 400 when not a JSON object in UTF-8.
     */
    static Map<String, Object> parseObject(final byte[] body)
    {
        if (body != null && body.length > MAX_BODY_BYTES)
        {
            throw tooLarge();
        }
        try
        {
            return parseObject(body == null ? null : StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(body))
                .toString());
        }
        catch (final CharacterCodingException ex)
        {
            throw new ValidationException(null, "the body is not JSON: it is not valid UTF-8");
        }
    }

    private static Map<String, Object> parseObject(final String body)
    {
        if (body == null || body.isBlank())
        {
            throw new ValidationException(null, "the body is empty; expected a JSON object");
        }
        if (utf8Length(body) > MAX_BODY_BYTES)
        {
            throw tooLarge();
        }

        final Object root;
        try
        {
            root = Json.parse(body);
        }
        catch (final JsonException ex)
        {
            throw new ValidationException(null, "the body is not JSON: " + ex.getMessage());
        }
        if (!(root instanceof Map))
        {
            throw new ValidationException(null, "the body is not a JSON object but " + article(Json.typeName(root)));
        }
        @SuppressWarnings("unchecked") final Map<String, Object> request = (Map<String, Object>)root;
        return request;
    }

    /**
     * Validate a route request already parsed as JSON, its addresses judged by the {@link AddressPolicy}.
     *
     * @param request      the request's fields, as {@link Json#parse(String)} gives them.
     * @param pathStreamId the id in the path for {@code PUT /route/{id}}, else null.
     * @return the validated route.
     * @throws ValidationException 400 for anything wrong.
     */
    public RouteSpec parse(final Map<String, Object> request, final Long pathStreamId)
    {
        final RouteSpec spec = parseStored(request, pathStreamId);
        policy.checkSource(spec.source(), SOURCE_ADDR);
        for (int i = 0; i < spec.targetCount(); i++)
        {
            policy.checkTarget(spec.target(i), TARGET_ADDRS + "[" + i + "]");
        }
        return spec;
    }

    /**
     * Validate a route read back from the store (its own fields removed) as a request is, but for the
     * {@link AddressPolicy}: a route a node accepted before stays a route, and the data plane's loop checks guard
     * it; it is never lost to a stricter policy.
     *
     * @param request      the route's fields, as {@link Json#parse(String)} gives them.
     * @param pathStreamId the id it is stored under, or null.
     * @return the validated route.
     * @throws ValidationException 400 for anything wrong.
     */
    public RouteSpec parseStored(final Map<String, Object> request, final Long pathStreamId)
    {
        for (final String name : request.keySet())
        {
            if (!FIELDS.contains(name))
            {
                throw new ValidationException(
                    name, "unknown field " + echo(JsonWriter.quote(name)) + "; a route request has " + FIELD_LIST);
            }
        }

        final long streamId = streamId(request.get(STREAM_ID), pathStreamId);
        final Endpoint source = sourceAddr(request.get(SOURCE_ADDR));
        final List<Endpoint> targets = targetAddrs(request.get(TARGET_ADDRS));
        final String roomCode = roomCode(request.get(ROOM_CODE));
        final Deliver deliver = deliver(request.get(DELIVER));
        final int jitterMs = milliseconds(request.get(JITTER_MS), JITTER_MS, defaultJitterMs, RouteSpec.MAX_JITTER_MS);
        final boolean mixMinus = bool(request.get(MIX_MINUS), MIX_MINUS);
        final boolean returnPath = bool(request.get(RETURN_PATH), RETURN_PATH);
        final int paceMs = milliseconds(request.get(PACE_MS), PACE_MS, defaultPaceMs, RouteSpec.MAX_PACE_MS);
        final Latch latch = latch(request.get(LATCH), source);
        if (request.containsKey(SOURCE_LATCHED))
        {
            sourceLatched(request.get(SOURCE_LATCHED), source);
        }

        return new RouteSpec(
            streamId, source, targets, roomCode, deliver, jitterMs, mixMinus, returnPath, paceMs, latch);
    }

    private static Latch latch(final Object value, final Endpoint source)
    {
        if (value == null)
        {
            return Latch.FIRST;
        }
        if (!(value instanceof String))
        {
            throw new ValidationException(
                LATCH, "latch must be the string \"first\" or \"discovery\", not " + article(Json.typeName(value)));
        }
        final Latch latch = Latch.fromWireName((String)value);
        if (latch == null)
        {
            throw new ValidationException(
                LATCH, "latch " + echo(JsonWriter.quote((String)value)) + " is not \"first\" or \"discovery\"");
        }
        if (latch == Latch.DISCOVERY && source.port() != 0)
        {
            throw new ValidationException(LATCH, "latch \"discovery\" needs a source_addr with port 0, not " +
                source + ": a source with a port never latches");
        }
        return latch;
    }

    private static void sourceLatched(final Object value, final Endpoint source)
    {
        if (value != Json.NULL)
        {
            throw new ValidationException(SOURCE_LATCHED, "source_latched can only be null, which clears the latch; " +
                "the node latches the port itself");
        }
        if (source.port() != 0)
        {
            throw new ValidationException(SOURCE_LATCHED, "source_latched: null clears the latch of a source_addr " +
                "with port 0, and " + source + " has a port: it never latches");
        }
    }

    /**
     * @return which sources and targets a request may name.
     */
    public AddressPolicy policy()
    {
        return policy;
    }

    public int maxTargetsPerRoute()
    {
        return maxTargetsPerRoute;
    }

    public int defaultJitterMs()
    {
        return defaultJitterMs;
    }

    static long streamId(final Object value, final Long pathStreamId)
    {
        if (value == null)
        {
            if (pathStreamId == null)
            {
                throw new ValidationException(STREAM_ID, "stream_id is required");
            }
            return pathStreamId;
        }

        final long streamId;
        if (value instanceof JsonNumber)
        {
            final JsonNumber number = (JsonNumber)value;
            if (!number.isIntegral())
            {
                throw new ValidationException(
                    STREAM_ID, "stream_id " + echo(number.text()) + " is not an integer " + STREAM_ID_RANGE);
            }
            try
            {
                streamId = number.unsignedLongValueExact();
            }
            catch (final ArithmeticException ex)
            {
                throw outOfRange(echo(number.text()));
            }
        }
        else if (value instanceof String)
        {
            final String text = (String)value;
            if (text.isEmpty() || !isDigits(text))
            {
                throw new ValidationException(
                    STREAM_ID, "stream_id " + echo(JsonWriter.quote(text)) + " is not a decimal string of digits");
            }
            try
            {
                streamId = Long.parseUnsignedLong(text);
            }
            catch (final NumberFormatException ex)
            {
                throw outOfRange(echo(JsonWriter.quote(text)));
            }
        }
        else
        {
            throw new ValidationException(
                STREAM_ID, "stream_id must be a number or a decimal string, not " + article(Json.typeName(value)));
        }

        if (streamId == 0)
        {
            throw outOfRange("0");
        }
        if (pathStreamId != null && streamId != pathStreamId)
        {
            throw new ValidationException(STREAM_ID, "stream_id " + Long.toUnsignedString(streamId) +
                " in the body differs from " + Long.toUnsignedString(pathStreamId) + " in the path");
        }
        return streamId;
    }

    private static Endpoint sourceAddr(final Object value)
    {
        if (value == null)
        {
            throw new ValidationException(SOURCE_ADDR, "source_addr is required");
        }
        return endpoint(value, SOURCE_ADDR, true); // port 0: the IP is pinned, the first port sending from it latched
    }

    private List<Endpoint> targetAddrs(final Object value)
    {
        if (value == null)
        {
            throw new ValidationException(TARGET_ADDRS, "target_addrs is required");
        }
        if (!(value instanceof List))
        {
            throw new ValidationException(
                TARGET_ADDRS, "target_addrs must be an array of \"ip:port\" strings, not " +
                article(Json.typeName(value)));
        }
        final List<?> list = (List<?>)value;
        if (list.isEmpty())
        {
            throw new ValidationException(TARGET_ADDRS, "target_addrs is empty; a route needs at least one target");
        }
        if (list.size() > maxTargetsPerRoute)
        {
            throw new ValidationException(TARGET_ADDRS, "target_addrs has " + list.size() +
                " addresses; at most " + maxTargetsPerRoute + " are allowed (MAX_TARGETS_PER_ROUTE)");
        }
        final List<Endpoint> targets = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++)
        {
            final String path = TARGET_ADDRS + "[" + i + "]";
            final Endpoint target = endpoint(list.get(i), path);
            final int previous = targets.indexOf(target);
            if (previous >= 0)
            {
                throw new ValidationException(
                    path, path + " repeats " + TARGET_ADDRS + "[" + previous + "] (" + target + ")");
            }
            targets.add(target);
        }
        return targets;
    }

    static Endpoint endpoint(final Object value, final String path)
    {
        return endpoint(value, path, false);
    }

    static Endpoint endpoint(final Object value, final String path, final boolean portZero)
    {
        if (!(value instanceof String))
        {
            throw new ValidationException(
                path, path + " must be an \"ip:port\" string, not " + article(Json.typeName(value)));
        }
        try
        {
            return Endpoint.parse((String)value, portZero);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new ValidationException(path, path + ": " + ex.getMessage());
        }
    }

    private static String roomCode(final Object value)
    {
        if (value == null || value == Json.NULL)
        {
            return null;
        }
        if (!(value instanceof String))
        {
            throw new ValidationException(
                ROOM_CODE, "room_code must be a string, not " + article(Json.typeName(value)));
        }
        final String code = (String)value;
        if (code.isEmpty() || code.length() > RouteSpec.MAX_ROOM_CODE_LENGTH)
        {
            throw new ValidationException(ROOM_CODE, "room_code has " + code.length() + " characters; it needs 1-" +
                RouteSpec.MAX_ROOM_CODE_LENGTH);
        }
        final int bad = firstBadRoomCodeChar(code);
        if (bad >= 0)
        {
            throw new ValidationException(
                ROOM_CODE, "room_code may only hold A-Z, a-z, 0-9, '_' and '-'; character " + (bad + 1) + " is not");
        }
        return code;
    }

    /**
     * @param code a candidate room code.
     * @return true when it is 1-64 characters of A-Z, a-z, 0-9, '_' and '-'.
     */
    public static boolean isValidRoomCode(final String code)
    {
        return code != null && !code.isEmpty() && code.length() <= RouteSpec.MAX_ROOM_CODE_LENGTH &&
            firstBadRoomCodeChar(code) < 0;
    }

    private static int firstBadRoomCodeChar(final String code)
    {
        for (int i = 0; i < code.length(); i++)
        {
            final char c = code.charAt(i);
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
            {
                return i;
            }
        }
        return -1;
    }

    private static Deliver deliver(final Object value)
    {
        if (value == null)
        {
            return Deliver.PAYLOAD;
        }
        if (!(value instanceof String))
        {
            throw new ValidationException(
                DELIVER, "deliver must be the string \"payload\" or \"framed\", not " + article(Json.typeName(value)));
        }
        final Deliver deliver = Deliver.fromWireName((String)value);
        if (deliver == null)
        {
            throw new ValidationException(
                DELIVER, "deliver " + echo(JsonWriter.quote((String)value)) + " is not \"payload\" or \"framed\"");
        }
        return deliver;
    }

    private static int milliseconds(final Object value, final String field, final int absent, final int max)
    {
        if (value == null)
        {
            return absent;
        }
        if (!(value instanceof JsonNumber))
        {
            throw new ValidationException(
                field, field + " must be an integer number, not " + article(Json.typeName(value)));
        }
        final JsonNumber number = (JsonNumber)value;
        if (!number.isIntegral())
        {
            throw new ValidationException(field, field + " " + echo(number.text()) + " is not an integer");
        }
        final int ms;
        try
        {
            ms = number.intValueExact();
        }
        catch (final ArithmeticException ex)
        {
            throw millisecondsOutOfRange(field, number.text(), max);
        }
        if (ms < 0 || ms > max)
        {
            throw millisecondsOutOfRange(field, number.text(), max);
        }
        return ms;
    }

    private static boolean bool(final Object value, final String field)
    {
        if (value == null)
        {
            return false;
        }
        if (!(value instanceof Boolean))
        {
            throw new ValidationException(
                field, field + " must be true or false, not " + article(Json.typeName(value)));
        }
        return (Boolean)value;
    }

    private static ValidationException outOfRange(final String shown)
    {
        return new ValidationException(STREAM_ID, "stream_id " + shown + " is outside " + STREAM_ID_RANGE);
    }

    private static ValidationException millisecondsOutOfRange(final String field, final String text, final int max)
    {
        return new ValidationException(field, field + " " + echo(text) + " is outside 0-" + max);
    }

    private static ValidationException tooLarge()
    {
        return new ValidationException(null, "the body is larger than " + MAX_BODY_BYTES + " bytes",
            ValidationException.PAYLOAD_TOO_LARGE);
    }

    private static boolean isDigits(final String text)
    {
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (c < '0' || c > '9')
            {
                return false;
            }
        }
        return true;
    }

    private static int utf8Length(final String text)
    {
        int bytes = 0;
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            if (c < 0x80)
            {
                bytes++;
            }
            else if (c < 0x800)
            {
                bytes += 2;
            }
            else if (Character.isHighSurrogate(c) && i + 1 < text.length() &&
                Character.isLowSurrogate(text.charAt(i + 1)))
            {
                bytes += 4;
                i++;
            }
            else
            {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static String article(final String typeName)
    {
        switch (typeName)
        {
            case "null":
                return "null";
            case "object":
            case "array":
                return "an " + typeName;
            default:
                return "a " + typeName;
        }
    }

    static String echo(final String text)
    {
        return text.length() > MAX_ECHO_LENGTH ? text.substring(0, MAX_ECHO_LENGTH) + "..." : text;
    }
}
