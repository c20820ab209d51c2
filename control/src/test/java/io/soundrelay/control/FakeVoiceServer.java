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

import io.soundrelay.control.RelayPortKit.Datagram;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A Discord voice server as far as UDP goes, on a loopback address of its own: it answers IP discovery with the
 * address and port it saw the request come from, echoes 8-byte keep-alives, latches to the last sender of audio (RTP
 * with payload type 0x78) and sends what the test asks back to that latched address. Every datagram it receives is
 * kept, with its sender, for the test to look at.
 */
final class FakeVoiceServer implements AutoCloseable
{
    static final int DISCOVERY_LENGTH = 74;
    static final int DISCOVERY_REQUEST = 0x0001;
    static final int DISCOVERY_RESPONSE = 0x0002;
    static final int DISCOVERY_BODY_LENGTH = 70;
    static final int ADDRESS_LENGTH = 64;
    static final int KEEP_ALIVE_LENGTH = 8;
    static final int AUDIO_PAYLOAD_TYPE = 0x78;

    final DatagramChannel channel;
    private final BlockingQueue<Datagram> received = new LinkedBlockingQueue<>();
    private final Set<InetSocketAddress> senders = ConcurrentHashMap.newKeySet();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile InetSocketAddress latched;
    private volatile int discoveries;
    private volatile int keepAlives;

    FakeVoiceServer(final String ip) throws IOException
    {
        channel = RelayPortKit.udp(ip);
        channel.socket().setSoTimeout(100);
        thread = new Thread(this::run, "fake-voice-server");
        thread.setDaemon(true);
        thread.start();
    }

    InetSocketAddress address() throws IOException
    {
        return RelayPortKit.local(channel);
    }

    String addr() throws IOException
    {
        return RelayPortKit.addr(channel);
    }

    private void run()
    {
        final byte[] buf = new byte[70_000];
        final DatagramPacket p = new DatagramPacket(buf, buf.length);
        while (running)
        {
            try
            {
                p.setData(buf);
                channel.socket().receive(p);
            }
            catch (final SocketTimeoutException ex)
            {
                continue;
            }
            catch (final IOException ex)
            {
                return; // closed
            }
            final byte[] bytes = Arrays.copyOf(buf, p.getLength());
            final InetSocketAddress from = (InetSocketAddress)p.getSocketAddress();
            senders.add(from);
            try
            {
                answer(bytes, from);
            }
            catch (final IOException ex)
            {
                return;
            }
            received.add(new Datagram(bytes, from));
        }
    }

    private void answer(final byte[] d, final InetSocketAddress from) throws IOException
    {
        final ByteBuffer in = ByteBuffer.wrap(d);
        if (d.length == DISCOVERY_LENGTH && (in.getShort(0) & 0xFFFF) == DISCOVERY_REQUEST &&
            (in.getShort(2) & 0xFFFF) == DISCOVERY_BODY_LENGTH)
        {
            discoveries++;
            channel.send(ByteBuffer.wrap(discoveryResponse(in.getInt(4), from)), from);
        }
        else if (d.length == KEEP_ALIVE_LENGTH)
        {
            keepAlives++;
            channel.send(ByteBuffer.wrap(d), from);
        }
        else if (d.length >= 12 && (d[0] & 0xC0) == 0x80 && (d[1] & 0x7F) == AUDIO_PAYLOAD_TYPE)
        {
            latched = from;
        }
    }

    /**
     * @return a discovery request as a Discord client builds it: type 1, length 70, the SSRC, the rest zero.
     */
    static byte[] discoveryRequest(final long ssrc)
    {
        final ByteBuffer b = ByteBuffer.allocate(DISCOVERY_LENGTH);
        b.putShort((short)DISCOVERY_REQUEST).putShort((short)DISCOVERY_BODY_LENGTH).putInt((int)ssrc);
        return b.array();
    }

    static byte[] discoveryResponse(final int ssrc, final InetSocketAddress seen)
    {
        final ByteBuffer b = ByteBuffer.allocate(DISCOVERY_LENGTH);
        b.putShort((short)DISCOVERY_RESPONSE).putShort((short)DISCOVERY_BODY_LENGTH).putInt(ssrc);
        final byte[] ip = seen.getAddress().getHostAddress().getBytes(StandardCharsets.US_ASCII);
        b.put(ip); // NUL-padded to 64 bytes: the buffer is zero
        b.putShort(8 + ADDRESS_LENGTH, (short)seen.getPort());
        return b.array();
    }

    /**
     * @param response a discovery response.
     * @return the address and port it names, as a Discord client reads them.
     */
    static InetSocketAddress parseDiscovery(final byte[] response)
    {
        final ByteBuffer b = ByteBuffer.wrap(response);
        if (response.length != DISCOVERY_LENGTH || (b.getShort(0) & 0xFFFF) != DISCOVERY_RESPONSE ||
            (b.getShort(2) & 0xFFFF) != DISCOVERY_BODY_LENGTH)
        {
            throw new AssertionError("not a discovery response: " + Arrays.toString(response));
        }
        int end = 8;
        while (end < 8 + ADDRESS_LENGTH && response[end] != 0)
        {
            end++;
        }
        final String ip = new String(response, 8, end - 8, StandardCharsets.US_ASCII);
        return new InetSocketAddress(ip, b.getShort(8 + ADDRESS_LENGTH) & 0xFFFF);
    }

    /**
     * @return the next datagram the server received, waiting at most 5 s.
     */
    Datagram next() throws InterruptedException
    {
        final Datagram d = received.poll(RelayPortKit.RECEIVE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        assertNotNull(d, "nothing reached the voice server within " + RelayPortKit.RECEIVE_TIMEOUT_MS + " ms");
        return d;
    }

    /**
     * @return a datagram received and not yet taken, or null.
     */
    Datagram poll()
    {
        return received.poll();
    }

    /**
     * @return every address the server ever received a datagram from.
     */
    Set<InetSocketAddress> senders()
    {
        return Set.copyOf(senders);
    }

    InetSocketAddress latched()
    {
        return latched;
    }

    int discoveries()
    {
        return discoveries;
    }

    int keepAlives()
    {
        return keepAlives;
    }

    /**
     * Send to the address the server latched from audio, as a voice server sends audio and RTCP to a client.
     */
    void sendToLatched(final byte[] datagram) throws IOException
    {
        final InetSocketAddress to = latched;
        if (to == null)
        {
            throw new AssertionError("the voice server has latched nobody: no audio reached it");
        }
        channel.send(ByteBuffer.wrap(datagram), to);
    }

    public void close() throws Exception
    {
        running = false;
        thread.join(5000);
        channel.close();
    }
}
