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
import io.soundrelay.io.transport.Transport;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What the relay-port tests (PROTOCOL.md section 9) share: a free RELAY_PORTS range of their own, sockets on other
 * loopback addresses, route requests with a return path, datagrams received with their sender, and conditions waited
 * on with a deadline.
 */
final class RelayPortKit
{
    /** The node's relay IP in every test: NodeFixture binds 127.0.0.1. */
    static final String NODE_IP = "127.0.0.1";
    /** How long a test waits for one datagram it expects. */
    static final int RECEIVE_TIMEOUT_MS = 5000;

    /**
     * Below the kernel's ephemeral range (32768-60999 by default), so no socket bound to port 0 lands in a relay port
     * range, and apart from the default RELAY_PORTS (40000-49999) other nodes on the machine use.
     */
    private static final int PROBE_FIRST = 20_000;
    private static final int PROBE_LAST = 32_000;

    private RelayPortKit()
    {
    }

    /** A datagram and who sent it. */
    record Datagram(byte[] bytes, InetSocketAddress from)
    {
        @Override
        public String toString()
        {
            return bytes.length + " bytes from " + from;
        }
    }

    /**
     * @param count ports wanted.
     * @return {first, last}: consecutive ports nobody holds on the relay IP now, chosen at random so two test runs on
     *         one machine are unlikely to pick the same.
     */
    static int[] freeRange(final int count)
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            final int first = ThreadLocalRandom.current().nextInt(PROBE_FIRST, PROBE_LAST - count);
            boolean free = true;
            for (int p = first; p < first + count && free; p++)
            {
                free = isFree(p);
            }
            if (free)
            {
                return new int[]{ first, first + count - 1 };
            }
        }
        throw new IllegalStateException("no " + count + " free consecutive UDP ports in " + PROBE_FIRST + "-" +
            PROBE_LAST);
    }

    static String setting(final int[] range)
    {
        return range[0] + "-" + range[1];
    }

    /**
     * @param port a UDP port.
     * @return whether a socket of the test's can bind it on the relay IP now (nobody holds it).
     */
    static boolean isFree(final int port)
    {
        try (DatagramChannel ch = DatagramChannel.open())
        {
            ch.bind(new InetSocketAddress(NODE_IP, port));
            return true;
        }
        catch (final IOException ex)
        {
            return false;
        }
    }

    /**
     * @param transport epoll or nio.
     * @return whether this machine can run it.
     */
    static boolean available(final String transport)
    {
        for (final Transport t : Transport.values())
        {
            if (t.wireName().equals(transport))
            {
                return t.isAvailable();
            }
        }
        return false;
    }

    /**
     * @param ip a loopback address such as 127.0.0.3.
     * @return a blocking UDP socket on it with an ephemeral port.
     */
    static DatagramChannel udp(final String ip) throws IOException
    {
        return udp(ip, 0);
    }

    static DatagramChannel udp(final String ip, final int port) throws IOException
    {
        final DatagramChannel ch = DatagramChannel.open();
        ch.bind(new InetSocketAddress(ip, port));
        ch.socket().setSoTimeout(RECEIVE_TIMEOUT_MS);
        return ch;
    }

    /**
     * @return "ip:port" of the socket.
     */
    static String addr(final DatagramChannel ch) throws IOException
    {
        final InetSocketAddress a = (InetSocketAddress)ch.getLocalAddress();
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    static InetSocketAddress local(final DatagramChannel ch) throws IOException
    {
        return (InetSocketAddress)ch.getLocalAddress();
    }

    static InetSocketAddress relayPort(final int port)
    {
        return new InetSocketAddress(NODE_IP, port);
    }

    /**
     * @return a route request with {@code "return_path": true}, {@code deliver} payload.
     */
    static String routeJson(final long streamId, final String source, final String... targets)
    {
        return routeJson(streamId, source, true, targets);
    }

    static String routeJson(final long streamId, final String source, final boolean returnPath,
        final String... targets)
    {
        final StringBuilder sb = new StringBuilder("{\"stream_id\":").append(Long.toUnsignedString(streamId))
            .append(",\"source_addr\":\"").append(source).append("\",\"target_addrs\":[");
        for (int i = 0; i < targets.length; i++)
        {
            sb.append(i == 0 ? "" : ",").append('"').append(targets[i]).append('"');
        }
        return sb.append("],\"return_path\":").append(returnPath).append('}').toString();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(final HttpResponse<String> response)
    {
        return (Map<String, Object>)Json.parse(response.body());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(final String text)
    {
        return (Map<String, Object>)Json.parse(text);
    }

    /**
     * @return the route's relay_port, or 0 when it is null (an assertion error when the key is missing).
     */
    static int relayPortOf(final Map<String, Object> route)
    {
        final Object port = route.get("relay_port");
        if (port == null)
        {
            throw new AssertionError("no relay_port in " + route);
        }
        return port == Json.NULL ? 0 : Integer.parseInt(port.toString());
    }

    static long longOf(final Object value)
    {
        return Long.parseLong(value.toString());
    }

    /**
     * POST a route with a return path and check the 201.
     *
     * @return its relay port, checked to be in the range.
     */
    static int create(final NodeFixture node, final String body, final int[] range) throws Exception
    {
        final HttpResponse<String> created = node.authed("POST", "/route", body);
        assertEquals(201, created.statusCode(), created.body());
        final int port = relayPortOf(json(created));
        if (port < range[0] || port > range[1])
        {
            throw new AssertionError("relay_port " + port + " is not in RELAY_PORTS " + setting(range) + ": " +
                created.body());
        }
        return port;
    }

    static Map<String, Object> get(final NodeFixture node, final long streamId) throws Exception
    {
        final HttpResponse<String> route = node.authed("GET", "/route/" + Long.toUnsignedString(streamId), null);
        assertEquals(200, route.statusCode(), route.body());
        return json(route);
    }

    static void send(final DatagramChannel from, final byte[] datagram, final InetSocketAddress to) throws IOException
    {
        from.send(ByteBuffer.wrap(datagram), to);
    }

    /**
     * @return the next datagram, waiting at most {@link #RECEIVE_TIMEOUT_MS}; an assertion error when none comes.
     */
    static Datagram receive(final DatagramChannel ch) throws IOException
    {
        final Datagram d = poll(ch, RECEIVE_TIMEOUT_MS);
        assertNotNull(d, () -> "nothing arrived at " + describe(ch) + " within " + RECEIVE_TIMEOUT_MS + " ms");
        return d;
    }

    /**
     * @return the next datagram within the time, or null.
     */
    static Datagram poll(final DatagramChannel ch, final int timeoutMs) throws IOException
    {
        final byte[] buf = new byte[70_000];
        final DatagramPacket p = new DatagramPacket(buf, buf.length);
        final int before = ch.socket().getSoTimeout();
        ch.socket().setSoTimeout(timeoutMs);
        try
        {
            ch.socket().receive(p);
            return new Datagram(Arrays.copyOf(buf, p.getLength()), (InetSocketAddress)p.getSocketAddress());
        }
        catch (final SocketTimeoutException ex)
        {
            return null;
        }
        finally
        {
            ch.socket().setSoTimeout(before);
        }
    }

    /**
     * Assert that nothing is waiting in the socket now. Call it once a marker sent after the unwanted datagrams has
     * arrived elsewhere: the node handles a socket's datagrams in order, so anything unwanted would be there by now.
     */
    static void assertNothingWaiting(final DatagramChannel ch, final String why) throws IOException
    {
        ch.configureBlocking(false);
        try
        {
            final ByteBuffer buf = ByteBuffer.allocate(70_000);
            final Object from = ch.receive(buf);
            assertNull(from, () -> why + ": " + buf.position() + " bytes from " + from + " at " + describe(ch));
        }
        finally
        {
            ch.configureBlocking(true);
        }
    }

    /**
     * @return every datagram waiting in the socket now, without waiting for more.
     */
    static List<Datagram> drain(final DatagramChannel ch) throws IOException
    {
        final List<Datagram> all = new ArrayList<>();
        ch.configureBlocking(false);
        try
        {
            while (true)
            {
                final ByteBuffer buf = ByteBuffer.allocate(70_000);
                final InetSocketAddress from = (InetSocketAddress)ch.receive(buf);
                if (from == null)
                {
                    return all;
                }
                buf.flip();
                final byte[] bytes = new byte[buf.remaining()];
                buf.get(bytes);
                all.add(new Datagram(bytes, from));
            }
        }
        finally
        {
            ch.configureBlocking(true);
        }
    }

    private static String describe(final DatagramChannel ch)
    {
        try
        {
            return String.valueOf(ch.getLocalAddress());
        }
        catch (final IOException ex)
        {
            return "a closed socket";
        }
    }

    /**
     * @return an RTP packet (version 2) of the payload type, sequence and SSRC, with a payload of the given length
     *         filled from the seed.
     */
    static byte[] rtp(final int payloadType, final int sequence, final long ssrc, final int payloadLength,
        final int seed)
    {
        final byte[] rtp = new byte[12 + payloadLength];
        rtp[0] = (byte)0x80;
        rtp[1] = (byte)payloadType;
        ByteBuffer.wrap(rtp).putShort(2, (short)sequence).putInt(4, sequence * 960).putInt(8, (int)ssrc);
        for (int i = 12; i < rtp.length; i++)
        {
            rtp[i] = (byte)(seed * 31 + i * 7);
        }
        return rtp;
    }

    /**
     * @return an RTCP packet of the type (200 sender report, 201 receiver report...) for the SSRC, 28 bytes.
     */
    static byte[] rtcp(final int packetType, final long ssrc, final int seed)
    {
        final byte[] rtcp = new byte[28];
        rtcp[0] = (byte)0x81;
        rtcp[1] = (byte)packetType;
        ByteBuffer.wrap(rtcp).putShort(2, (short)6).putInt(4, (int)ssrc);
        for (int i = 8; i < rtcp.length; i++)
        {
            rtcp[i] = (byte)(seed + i);
        }
        return rtcp;
    }

    interface Check
    {
        boolean test() throws Exception;
    }

    /**
     * Wait until the check holds; an exception counts as "not yet".
     */
    static void await(final String what, final long seconds, final Check check)
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Exception last = null;
        while (true)
        {
            try
            {
                if (check.test())
                {
                    return;
                }
            }
            catch (final Exception ex)
            {
                last = ex;
            }
            if (System.nanoTime() - deadline > 0)
            {
                final AssertionError error = new AssertionError("not within " + seconds + " s: " + what);
                if (last != null)
                {
                    error.addSuppressed(last);
                }
                throw error;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    /**
     * @return the value of a series on the node's /metrics; an assertion error when it is absent.
     */
    static double metric(final NodeFixture node, final String series) throws Exception
    {
        return NodeFixture.metric(node.metrics(), series);
    }

    static double dropped(final NodeFixture node, final String reason) throws Exception
    {
        return metric(node, "relay_packet_errors_total{reason=\"" + reason + "\"}");
    }
}
