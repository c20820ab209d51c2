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

import io.undertow.server.HttpServerExchange;
import io.undertow.server.RoutingHandler;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.PathTemplateMatch;
import io.undertow.util.PathTemplateMatcher;

import java.util.ArrayList;
import java.util.List;

/**
 * The control API's one routing table, on Undertow's {@link RoutingHandler}: each resource is a path template with
 * the label that metrics and traces show for it (never a raw path), whether it is open to anyone, and a handler per
 * method. A path no template matches gets the {@link #NOT_FOUND} endpoint; a method a matched resource lacks gets
 * a 405 with its {@code Allow} list. Matching runs on the IO thread; the matched {@link Endpoint} tells it what to
 * check before reading the body and what the worker runs after.
 */
final class ApiRoutes
{
    /** The label of a path no template matches. */
    static final String UNKNOWN = "unknown";

    /** The path parameter of a template ending in {@code /*}: the rest of the path, slashes and all. */
    private static final String REST = "*";

    /**
     * What one method of one resource does with a complete request, on a worker thread.
     */
    @FunctionalInterface
    interface Handler
    {
        /**
         * @param exchange the request; {@link #pathRest(HttpServerExchange)} has the path parameter.
         * @param body     the request body, empty when there is none.
         * @throws Exception a {@link io.soundrelay.core.route.ValidationException} to answer with its status.
         */
        void handle(HttpServerExchange exchange, byte[] body) throws Exception;
    }

    /**
     * Where a matched endpoint goes on the IO thread: the checks on the headers, then the body.
     */
    @FunctionalInterface
    interface Acceptor
    {
        void accept(HttpServerExchange exchange, Endpoint endpoint) throws Exception;
    }

    /**
     * One method of one resource.
     *
     * @param label     the route as metrics and traces name it.
     * @param open      open to anyone (limited per address) rather than behind the API key.
     * @param takesBody its request carries a JSON body, so its Content-Type is checked.
     * @param handler   what the worker runs.
     */
    record Endpoint(String label, boolean open, boolean takesBody, Handler handler)
    {
    }

    /** Answers 404 for a path no template matches, behind the API key like any unknown path. */
    static final Endpoint NOT_FOUND = new Endpoint(UNKNOWN, false, false, (exchange, body) -> ApiResponses.error(
        exchange, 404, "no such endpoint: " + ApiResponses.truncate(exchange.getRelativePath()), null));

    private final RoutingHandler routing = new RoutingHandler(false);
    private final PathTemplateMatcher<Resource> resources = new PathTemplateMatcher<>();
    private final List<String> endpoints = new ArrayList<>();
    private final Acceptor acceptor;

    /**
     * @param acceptor where every request goes once matched.
     */
    ApiRoutes(final Acceptor acceptor)
    {
        this.acceptor = acceptor;
        routing.setFallbackHandler(exchange -> acceptor.accept(exchange, NOT_FOUND));
        routing.setInvalidMethodHandler(this::methodNotAllowed);
    }

    /**
     * @param template an Undertow path template; one ending in {@code /*} takes the rest of the path.
     * @param label    the route as metrics and traces name it.
     * @param open     open to anyone rather than behind the API key.
     * @return the resource, to add its methods to.
     */
    Resource resource(final String template, final String label, final boolean open)
    {
        final Resource resource = new Resource(template, label, open);
        resources.add(template, resource);
        return resource;
    }

    /**
     * @return every method of every resource, as {@code "GET /route/{id}"} (method and label), in the order added.
     */
    List<String> endpoints()
    {
        return List.copyOf(endpoints);
    }

    /**
     * Match the request and hand it to its endpoint's acceptor.
     *
     * @param exchange the request.
     * @throws Exception from the acceptor.
     */
    void route(final HttpServerExchange exchange) throws Exception
    {
        routing.handleRequest(exchange);
    }

    /**
     * @param exchange a request matched to a template ending in {@code /*}.
     * @return the rest of the path after the template's fixed part.
     */
    static String pathRest(final HttpServerExchange exchange)
    {
        final PathTemplateMatch match = exchange.getAttachment(PathTemplateMatch.ATTACHMENT_KEY);
        final String rest = match == null ? null : match.getParameters().get(REST);
        return rest == null ? "" : rest;
    }

    private void methodNotAllowed(final HttpServerExchange exchange) throws Exception
    {
        final PathTemplateMatcher.PathMatchResult<Resource> match = resources.match(exchange.getRelativePath());
        if (match == null)
        {
            acceptor.accept(exchange, NOT_FOUND);
            return;
        }
        final Resource resource = match.getValue();
        acceptor.accept(exchange, new Endpoint(resource.label, resource.open, false, (ex, body) ->
        {
            ex.getResponseHeaders().put(Headers.ALLOW, resource.allow.toString());
            ApiResponses.error(ex, 405, "method " + ApiResponses.truncate(ex.getRequestMethod().toString()) +
                " not allowed here", null);
        }));
    }

    /**
     * A path template and its methods.
     */
    final class Resource
    {
        private final String template;
        private final String label;
        private final boolean open;
        private final StringBuilder allow = new StringBuilder();

        private Resource(final String template, final String label, final boolean open)
        {
            this.template = template;
            this.label = label;
            this.open = open;
        }

        /**
         * @param method    an HTTP method.
         * @param takesBody whether its request carries a JSON body.
         * @param handler   what the worker runs.
         * @return this.
         */
        Resource on(final HttpString method, final boolean takesBody, final Handler handler)
        {
            final Endpoint endpoint = new Endpoint(label, open, takesBody, handler);
            routing.add(method, template, exchange -> acceptor.accept(exchange, endpoint));
            allow.append(allow.length() == 0 ? "" : ", ").append(method);
            endpoints.add(method + " " + label);
            return this;
        }
    }
}
