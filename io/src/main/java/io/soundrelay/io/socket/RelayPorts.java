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
package io.soundrelay.io.socket;

import io.soundrelay.io.BindFailure;
import io.soundrelay.io.transport.Transport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The node's relay ports ({@code RELAY_PORTS}, PROTOCOL.md section 9): a range of UDP ports on the relay IP, one
 * bound per route that asked for a return path. Any thread may open or release a port; this is control-plane work,
 * never the hot path, so a lock guards the bookkeeping (never a bind or a close).
 * <p>
 * Ports are handed out next-fit from a rotating cursor, so a port just freed is the last to be reused: a straggler of
 * the old route's traffic does not land on a new route. A port another process holds is skipped. A restarted route
 * asks for the port it had, and gets it where it is free.
 */
public final class RelayPorts
{
    private static final Logger LOG = LoggerFactory.getLogger(RelayPorts.class);

    /**
     * Thrown when no port of the range can be bound, or no file descriptor is left for one: the API answers 503 naming
     * RELAY_PORTS or RLIMIT_NOFILE, with {@code "field":"return_path"}.
     */
    public static final class ExhaustedException extends Exception
    {
        private static final long serialVersionUID = 1L;

        ExhaustedException(final String message)
        {
            super(message, null, false, false);
        }
    }

    private final Transport transport;
    private final InetAddress ip;
    private final int first;
    private final int last;
    private final int bufferBytes;
    private final BitSet used;
    private final Set<RelaySocket> open = Collections.newSetFromMap(new IdentityHashMap<>());
    private int cursor;
    private int inUse;
    private int descriptorBudget = Integer.MAX_VALUE;
    private String budgetReason = "";

    /**
     * @param transport   the transport whose sockets to open.
     * @param ip          the relay IP (BIND_ADDR's address).
     * @param first       first port of the range.
     * @param last        last port of the range, inclusive.
     * @param bufferBytes SO_RCVBUF and SO_SNDBUF of each port.
     */
    public RelayPorts(
        final Transport transport, final InetAddress ip, final int first, final int last, final int bufferBytes)
    {
        if (first < 1 || last > 65535 || first > last)
        {
            throw new IllegalArgumentException("port range " + first + "-" + last + " is not within 1-65535");
        }
        this.transport = transport;
        this.ip = ip;
        this.first = first;
        this.last = last;
        this.bufferBytes = bufferBytes;
        this.used = new BitSet(last - first + 1);
    }

    /**
     * Bound the ports open at once by the file descriptors the node can spare for them (RLIMIT_NOFILE less what the
     * API and the rest of the node keep in reserve): past it, a route asking for a port is refused as the range being
     * full is, and the descriptors kept for the API stay free.
     *
     * @param ports  most ports open at once.
     * @param reason why, for the refusal, e.g. "RLIMIT_NOFILE=1024 leaves descriptors for 600 relay ports".
     */
    public synchronized void descriptorBudget(final int ports, final String reason)
    {
        descriptorBudget = Math.max(0, ports);
        budgetReason = reason;
    }

    /**
     * @return ports in the range.
     */
    public int capacity()
    {
        return last - first + 1;
    }

    /**
     * @return ports bound now.
     */
    public synchronized int inUse()
    {
        return inUse;
    }

    public int first()
    {
        return first;
    }

    public int last()
    {
        return last;
    }

    /**
     * @param port a port number.
     * @return whether this node holds it as a relay port now.
     */
    public synchronized boolean isBound(final int port)
    {
        return contains(port) && used.get(port - first);
    }

    /**
     * @param port a port number.
     * @return whether it is in the range.
     */
    public boolean contains(final int port)
    {
        return port >= first && port <= last;
    }

    /**
     * Bind a relay port.
     *
     * @param preferred the port wanted (a restarted or re-created route's), or 0 for any.
     * @return the bound socket; the caller hands it to the router or gives it back with {@link #release}.
     * @throws ExhaustedException when every port of the range is taken, by this node or another process, when the
     *                            descriptor budget is spent, or when the process is out of file descriptors (EMFILE,
     *                            ENFILE): each a 503 naming {@code return_path}, never a 500.
     * @throws IOException        when a socket cannot be made at all (not a port clash).
     */
    public RelaySocket open(final int preferred) throws ExhaustedException, IOException
    {
        synchronized (this)
        {
            if (inUse >= descriptorBudget)
            {
                throw new ExhaustedException(budgetReason + ": no file descriptor to spare for another relay port (" +
                    inUse + " bound)");
            }
        }
        if (preferred != 0 && contains(preferred) && claim(preferred))
        {
            final RelaySocket socket = tryBind(preferred);
            if (socket != null)
            {
                return socket;
            }
        }
        final int capacity = capacity();
        for (int attempt = 0; attempt < capacity; attempt++)
        {
            final int port = next();
            if (port < 0)
            {
                break;
            }
            final RelaySocket socket = tryBind(port);
            if (socket != null)
            {
                return socket;
            }
        }
        throw new ExhaustedException("RELAY_PORTS=" + first + "-" + last + ": no free relay port (" + inUse() +
            " of " + capacity + " bound by this node; the others are held by other processes)");
    }

    /**
     * The relay port of a route put back from the store (a restart, Redis returning): the port it had where it is
     * free, else another (logged); none (logged) when the range is used up or a socket cannot be made, and the route
     * is put back all the same.
     *
     * @param had          the port the route had, 0 for none.
     * @param streamIdText the route's stream id, for the log.
     * @return the bound socket, or null.
     */
    public RelaySocket reopen(final int had, final String streamIdText)
    {
        try
        {
            final RelaySocket socket = open(had);
            if (had != 0 && socket.port() != had)
            {
                LOG.warn("stream {}: relay port {} is taken; the route has relay port {} now", streamIdText, had,
                    socket.port());
            }
            return socket;
        }
        catch (final ExhaustedException | IOException ex)
        {
            LOG.error("stream {}: restored without a relay port: {}", streamIdText, ex.getMessage());
            return null;
        }
    }

    /**
     * Close a relay port and make it free again. Only the owner of the socket calls it: the receiver once it has
     * taken the socket out of its poll set, or the control plane for a socket the router never took.
     *
     * @param socket a socket this pool opened.
     */
    public void release(final RelaySocket socket)
    {
        try
        {
            socket.close();
        }
        catch (final IOException ex)
        {
            LOG.warn("closing {}: {}", socket, ex.toString());
        }
        synchronized (this)
        {
            open.remove(socket);
        }
        free(socket.port());
    }

    /**
     * Close every relay port still open: the data plane's last act, once its threads have stopped.
     */
    public void closeAll()
    {
        final List<RelaySocket> all;
        synchronized (this)
        {
            all = new ArrayList<>(open);
        }
        for (final RelaySocket socket : all)
        {
            release(socket);
        }
    }

    private synchronized boolean claim(final int port)
    {
        if (used.get(port - first) || inUse >= descriptorBudget)
        {
            return false;
        }
        used.set(port - first);
        inUse++;
        return true;
    }

    /**
     * @return the next port not bound by this node, claimed; or -1 when all are.
     */
    private synchronized int next()
    {
        final int capacity = capacity();
        if (inUse == capacity || inUse >= descriptorBudget)
        {
            return -1;
        }
        int index = used.nextClearBit(cursor);
        if (index >= capacity)
        {
            index = used.nextClearBit(0);
        }
        used.set(index);
        inUse++;
        cursor = index + 1 >= capacity ? 0 : index + 1;
        return first + index;
    }

    private synchronized void free(final int port)
    {
        if (contains(port) && used.get(port - first))
        {
            used.clear(port - first);
            inUse--;
        }
    }

    /**
     * @return the bound socket, or null when another process holds the port (the claim is given back then).
     */
    private RelaySocket tryBind(final int port) throws IOException, ExhaustedException
    {
        try
        {
            final RelaySocket socket = RelaySocket.open(transport, new InetSocketAddress(ip, port), bufferBytes, true);
            synchronized (this)
            {
                open.add(socket);
            }
            return socket;
        }
        catch (final BindFailure ex)
        {
            free(port);
            if (ex.reason().startsWith("address already in use"))
            {
                return null;
            }
            if (outOfDescriptors(ex))
            {
                throw descriptorsExhausted(ex);
            }
            throw ex;
        }
        catch (final IOException | RuntimeException ex)
        {
            free(port);
            if (outOfDescriptors(ex))
            {
                throw descriptorsExhausted(ex);
            }
            throw ex;
        }
    }

    private ExhaustedException descriptorsExhausted(final Exception ex)
    {
        LOG.warn("a relay port could not be opened: {}", ex.toString());
        return new ExhaustedException("no file descriptor for a relay port: too many open files (EMFILE/ENFILE: " +
            "the process or the host is at its limit; RLIMIT_NOFILE, ulimit -n); " + inUse() + " relay ports bound");
    }

    /**
     * @return whether the failure is EMFILE or ENFILE, as the JDK ("Too many open files") or Netty's native transports
     * ("error(-24)", "error(-23)") report it, anywhere in the cause chain.
     */
    static boolean outOfDescriptors(final Throwable failure)
    {
        int depth = 0;
        for (Throwable t = failure; t != null && depth < 16; t = t.getCause() == t ? null : t.getCause(), depth++)
        {
            final String message = t.getMessage();
            if (message != null)
            {
                final String text = message.toLowerCase(java.util.Locale.ROOT);
                if (text.contains("too many open files") || text.contains("error(-24)") ||
                    text.contains("error(-23)"))
                {
                    return true;
                }
            }
        }
        return false;
    }
}
