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

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.LevelResolver;
import com.atlassian.oai.validator.report.ValidationReport;
import io.soundrelay.core.json.Json;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.parser.OpenAPIV3Parser;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The control API's OpenAPI document (docs/reference/openapi.yaml) and a validator of it: every request a test sends
 * to a real node goes over a socket ({@link RawHttp}), and the request and the node's answer are checked against the
 * document with the Atlassian OpenAPI request validator. It records which operations and statuses were seen, so the
 * test can fail on an operation it never exercised.
 */
final class OpenApiContract
{
    /** Where the document is, relative to the control module (the test's working directory) unless set. */
    static final Path SPEC = Path.of(System.getProperty("soundrelay.openapi", "../docs/reference/openapi.yaml"));

    /** What the request is, as the document sees it. */
    enum Req
    {
        /** A request the document allows: the validator must find nothing wrong with it. */
        CONFORMS,
        /** A request the document forbids (wrong type, unknown field, no key...): the validator must say so. */
        VIOLATES,
        /** Right by the document's schemas but wrong for the node (a wrong key, a route that exists...): not judged. */
        ANY
    }

    private final OpenAPI api;
    private final OpenApiInteractionValidator validator;
    private final Map<String, Pattern> templates = new LinkedHashMap<>();
    private final Map<String, Set<Integer>> seen = new TreeMap<>();

    OpenApiContract() throws Exception
    {
        // The validator's libraries log their own notes (an unknown keyword, a body type they do not check): quiet.
        System.setProperty("org.slf4j.simpleLogger.log.com.networknt", "error");
        System.setProperty("org.slf4j.simpleLogger.log.com.atlassian.oai", "warn");
        assertTrue(Files.isRegularFile(SPEC), "no OpenAPI document at " + SPEC.toAbsolutePath());
        final var parsed = new OpenAPIV3Parser().readLocation(SPEC.toUri().toString(), null, null);
        assertTrue(parsed.getMessages() == null || parsed.getMessages().isEmpty(),
            "the OpenAPI document does not parse cleanly: " + parsed.getMessages());
        api = parsed.getOpenAPI();
        // Every finding is an error: a warning that passes would let the document drift from the node.
        validator = OpenApiInteractionValidator.createForSpecificationUrl(SPEC.toUri().toString())
            .withLevelResolver(LevelResolver.create().withDefaultLevel(ValidationReport.Level.ERROR).build())
            .build();
        for (final String path : api.getPaths().keySet())
        {
            templates.put(path, Pattern.compile(path.replaceAll("\\{[^/]+}", "[^/]+")));
        }
    }

    /**
     * @return every operation of the document, as {@code "GET /route/{id}"}.
     */
    Set<String> operations()
    {
        final Set<String> ops = new TreeSet<>();
        for (final Map.Entry<String, PathItem> path : api.getPaths().entrySet())
        {
            for (final PathItem.HttpMethod method : path.getValue().readOperationsMap().keySet())
            {
                ops.add(method + " " + path.getKey());
            }
        }
        return ops;
    }

    /**
     * @param operation such as {@code "GET /health"}.
     * @return whether the document lets it be called without a key.
     */
    boolean open(final String operation)
    {
        final String[] parts = operation.split(" ", 2);
        final Operation op =
            api.getPaths().get(parts[1]).readOperationsMap().get(PathItem.HttpMethod.valueOf(parts[0]));
        return op.getSecurity() != null && op.getSecurity().isEmpty();
    }

    /**
     * @return every status the document gives each operation.
     */
    Map<String, Set<Integer>> documentedStatuses()
    {
        final Map<String, Set<Integer>> statuses = new TreeMap<>();
        for (final Map.Entry<String, PathItem> path : api.getPaths().entrySet())
        {
            for (final Map.Entry<PathItem.HttpMethod, Operation> op : path.getValue().readOperationsMap().entrySet())
            {
                final Set<Integer> codes = new TreeSet<>();
                op.getValue().getResponses().keySet().forEach(code -> codes.add(Integer.parseInt(code)));
                statuses.put(op.getKey() + " " + path.getKey(), codes);
            }
        }
        return statuses;
    }

    /**
     * The endpoint table of docs/reference/openapi.md, made from the document: one row per operation, in the
     * document's order.
     *
     * @return the Markdown table.
     */
    String endpointTable()
    {
        final StringBuilder sb = new StringBuilder("| Method | Path | What it does | Key | Success | Errors |\n")
            .append("|---|---|---|---|---|---|\n");
        for (final Map.Entry<String, PathItem> path : api.getPaths().entrySet())
        {
            for (final Map.Entry<PathItem.HttpMethod, Operation> op : path.getValue().readOperationsMap().entrySet())
            {
                final Operation operation = op.getValue();
                final boolean open = operation.getSecurity() != null && operation.getSecurity().isEmpty();
                sb.append("| ").append(op.getKey()).append(" | `").append(path.getKey()).append("` | ")
                    .append(operation.getSummary()).append(" | ").append(open ? "no" : "yes").append(" | ")
                    .append(codes(operation, false)).append(" | ").append(codes(operation, true)).append(" |\n");
            }
        }
        return sb.toString();
    }

    private static String codes(final Operation operation, final boolean errors)
    {
        final List<String> codes = new ArrayList<>();
        for (final String code : operation.getResponses().keySet())
        {
            if (code.compareTo("400") >= 0 == errors)
            {
                codes.add(code);
            }
        }
        return String.join(", ", codes);
    }

    /**
     * @return the statuses each operation answered with so far.
     */
    Map<String, Set<Integer>> seen()
    {
        return seen;
    }

    /**
     * Send a request to a node, check the status, and check the request and the answer against the document.
     *
     * @param node    the node.
     * @param status  the status the test expects.
     * @param req     what the request is by the document.
     * @param method  the method.
     * @param target  path and query, as sent.
     * @param body    the body (UTF-8) or null.
     * @param headers header lines, such as {@code "X-API-Key: k"}.
     * @return the answer.
     * @throws Exception when the node cannot be reached.
     */
    RawHttp.Reply call(
        final NodeFixture node,
        final int status,
        final Req req,
        final String method,
        final String target,
        final String body,
        final String... headers) throws Exception
    {
        final byte[] bytes = body == null ? null : body.getBytes(StandardCharsets.UTF_8);
        return check(send(node, bytes == null ? RawHttp.request(method, target, null, headers) :
            RawHttp.request(method, target, bytes, headers)), status, req, method, target, bytes, headers);
    }

    /**
     * As {@link #call}, for a request written byte for byte (a body cut short, a framing header...).
     *
     * @param node    the node.
     * @param status  the status the test expects.
     * @param req     what the request is by the document.
     * @param method  the method of the request line.
     * @param target  path and query of the request line.
     * @param body    the body the request line and headers announce (for the validator), or null.
     * @param raw     exactly what to write.
     * @param headers the header lines in raw, for the validator.
     * @return the answer.
     * @throws Exception when the node cannot be reached.
     */
    RawHttp.Reply callRaw(
        final NodeFixture node,
        final int status,
        final Req req,
        final String method,
        final String target,
        final byte[] body,
        final byte[] raw,
        final String... headers) throws Exception
    {
        return check(send(node, raw), status, req, method, target, body, headers);
    }

    /**
     * A request the document has no operation for (a method a path does not take, a path the node does not serve):
     * the node must answer with its JSON error and the status, and the document must not allow the request.
     *
     * @param node    the node.
     * @param status  404 or 405.
     * @param method  the method.
     * @param target  the path.
     * @param headers header lines.
     * @return the answer.
     * @throws Exception when the node cannot be reached.
     */
    RawHttp.Reply undocumented(
        final NodeFixture node, final int status, final String method, final String target, final String... headers)
        throws Exception
    {
        final RawHttp.Reply reply = send(node, RawHttp.request(method, target, null, headers));
        assertEquals(status, reply.status, method + " " + target + ": " + reply.body);
        assertTrue(reply.jsonError() != null, method + " " + target + ": not a JSON error: " + reply.body);
        final Object parsed = Json.parse(reply.body);
        assertTrue(Set.of("error", "field").containsAll(((Map<?, ?>)parsed).keySet()),
            "an error body holds error and field only: " + reply.body);
        final ValidationReport report = validator.validateRequest(request(method, target, null, headers));
        assertTrue(report.hasErrors(), method + " " + target + " is not in the document, yet it allows it");
        return reply;
    }

    private static RawHttp.Reply send(final NodeFixture node, final byte[] raw) throws Exception
    {
        return RawHttp.send(node.node.apiAddress(), raw);
    }

    /**
     * Check an answer already received, as {@link #call} does.
     *
     * @param reply   the answer.
     * @param status  the status the test expects.
     * @param req     what the request was by the document.
     * @param method  its method.
     * @param target  its path and query.
     * @param body    its body or null.
     * @param headers its header lines.
     * @return the answer.
     */
    RawHttp.Reply check(
        final RawHttp.Reply reply,
        final int status,
        final Req req,
        final String method,
        final String target,
        final byte[] body,
        final String... headers)
    {
        final String what = method + " " + target;
        assertEquals(status, reply.status, what + " answered " + reply.status + ": " + reply.body);
        final String operation = operation(method, target);
        assertTrue(operation != null, what + ": no path of the document matches");
        seen.computeIfAbsent(operation, k -> new TreeSet<>()).add(reply.status);

        final Request request = request(method, target, body, headers);
        final SimpleResponse.Builder response = new SimpleResponse.Builder(reply.status);
        for (final Map.Entry<String, List<String>> header : reply.headers.entrySet())
        {
            response.withHeader(header.getKey(), header.getValue());
        }
        if (!reply.body.isEmpty())
        {
            response.withBody(reply.body);
        }
        final ValidationReport report = req == Req.CONFORMS ? validator.validate(request, response.build()) :
            validator.validateResponse(path(target), request.getMethod(), response.build());
        if (report.hasErrors())
        {
            fail(what + " -> " + reply.status + " " + reply.body + "\ndoes not match " + SPEC + ":\n" +
                messages(report));
        }
        if (req == Req.VIOLATES)
        {
            assertTrue(validator.validateRequest(request).hasErrors(),
                what + " with " + (body == null ? "no body" : new String(body, StandardCharsets.UTF_8)) +
                ": the node refuses it (" + reply.status + "), the document allows it");
        }
        return reply;
    }

    private static String messages(final ValidationReport report)
    {
        final StringBuilder sb = new StringBuilder();
        for (final ValidationReport.Message message : report.getMessages())
        {
            sb.append("  ").append(message.getLevel()).append(' ').append(message.getKey()).append(": ")
                .append(message.getMessage());
            message.getContext().flatMap(ValidationReport.MessageContext::getPointers).ifPresent(p -> sb
                .append(" (at ").append(p.getInstance()).append(", schema ").append(p.getSchema()).append(')'));
            sb.append('\n');
        }
        return sb.toString();
    }

    private String operation(final String method, final String target)
    {
        final String path = path(target);
        for (final Map.Entry<String, Pattern> template : templates.entrySet())
        {
            if (template.getValue().matcher(path).matches())
            {
                return method + " " + template.getKey();
            }
        }
        return null;
    }

    private static Request request(final String method, final String target, final byte[] body,
        final String... headers)
    {
        final SimpleRequest.Builder b = new SimpleRequest.Builder(method, path(target));
        final int q = target.indexOf('?');
        if (q >= 0)
        {
            final Map<String, List<String>> query = new LinkedHashMap<>();
            for (final String pair : target.substring(q + 1).split("&"))
            {
                final int eq = pair.indexOf('=');
                query.computeIfAbsent(decode(eq < 0 ? pair : pair.substring(0, eq)), k -> new ArrayList<>())
                    .add(eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
            query.forEach(b::withQueryParam);
        }
        final Map<String, List<String>> lines = new LinkedHashMap<>();
        for (final String header : headers)
        {
            final int colon = header.indexOf(':');
            lines.computeIfAbsent(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                .add(header.substring(colon + 1).trim());
        }
        lines.forEach(b::withHeader);
        if (body != null)
        {
            b.withBody(body);
        }
        return b.build();
    }

    private static String path(final String target)
    {
        final int q = target.indexOf('?');
        return decode(q < 0 ? target : target.substring(0, q));
    }

    private static String decode(final String text)
    {
        return URLDecoder.decode(text.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
