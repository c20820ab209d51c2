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
package io.soundrelay.jda;

import net.dv8tion.jda.api.audio.factory.IPacketProvider;
import net.dv8tion.jda.api.audio.hooks.ConnectionStatus;
import net.dv8tion.jda.api.entities.channel.middleman.AudioChannel;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Stands in for JDA's packet provider: RTP packets as JDA builds them (version 2, payload type 0x78, one SSRC,
 * sequence +1 and timestamp +960 per packet) with a random "encrypted" payload of 100-400 bytes, in one reused
 * direct buffer. It has JDA 6's quirks too: before its first packet it hands out its empty 2048-byte buffer, and
 * when it has nothing new it hands the last buffer back, already consumed; now and then it has nothing (null).
 */
final class FakePacketProvider implements IPacketProvider
{
    static final byte RTP_VERSION_BYTE = (byte)0x80;
    static final byte RTP_PAYLOAD_TYPE = (byte)0x78;

    private final String identifier;
    private final Random random = new Random(42);
    private final List<byte[]> handedOut = new ArrayList<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger connectionErrors = new AtomicInteger();
    private ByteBuffer buffer = ByteBuffer.allocateDirect(2048);
    private volatile InetSocketAddress voiceServer;
    private volatile long ssrc;
    private volatile boolean quirks = true;
    private volatile boolean silent;
    private char sequence;
    private int timestamp;

    FakePacketProvider(final String identifier, final long ssrc, final InetSocketAddress voiceServer)
    {
        this.identifier = identifier;
        this.ssrc = ssrc;
        this.voiceServer = voiceServer;
    }

    /**
     * The voice server moved: packets handed out from now on are for this one.
     */
    void moveTo(final InetSocketAddress voiceServer)
    {
        this.voiceServer = voiceServer;
    }

    void changeSsrc(final long ssrc)
    {
        this.ssrc = ssrc;
    }

    /**
     * Nothing to send from now on (the send handler cannot provide), as a bot that stopped playing.
     */
    void silent(final boolean silent)
    {
        this.silent = silent;
    }

    void quirks(final boolean quirks)
    {
        this.quirks = quirks;
    }

    /**
     * @return copies of the RTP packets handed out so far, in order.
     */
    List<byte[]> handedOut()
    {
        synchronized (handedOut)
        {
            return new ArrayList<>(handedOut);
        }
    }

    int calls()
    {
        return calls.get();
    }

    int connectionErrors()
    {
        return connectionErrors.get();
    }

    @Override
    public String getIdentifier()
    {
        return identifier;
    }

    @Override
    public AudioChannel getConnectedChannel()
    {
        throw new UnsupportedOperationException("no Discord here");
    }

    @Override
    public DatagramSocket getUdpSocket()
    {
        throw new UnsupportedOperationException("the relay's send system must not use JDA's socket");
    }

    @Override
    public InetSocketAddress getSocketAddress()
    {
        return voiceServer;
    }

    @Override
    public ByteBuffer getNextPacketRaw(final boolean changeTalking)
    {
        final int call = calls.incrementAndGet();
        if (silent)
        {
            return null;
        }
        if (quirks && call == 1)
        {
            return buffer; // JDA 6 before its first packet: a fresh 2048-byte buffer of zeros
        }
        if (quirks && call % 7 == 0)
        {
            return null;
        }
        if (quirks && call % 11 == 0)
        {
            return buffer; // nothing new: the last buffer again, already consumed
        }
        final int payload = 100 + random.nextInt(301);
        final byte[] packet = new byte[12 + payload];
        packet[0] = RTP_VERSION_BYTE;
        packet[1] = RTP_PAYLOAD_TYPE;
        packet[2] = (byte)(sequence >> 8);
        packet[3] = (byte)sequence;
        packet[4] = (byte)(timestamp >> 24);
        packet[5] = (byte)(timestamp >> 16);
        packet[6] = (byte)(timestamp >> 8);
        packet[7] = (byte)timestamp;
        final long ssrc = this.ssrc;
        packet[8] = (byte)(ssrc >> 24);
        packet[9] = (byte)(ssrc >> 16);
        packet[10] = (byte)(ssrc >> 8);
        packet[11] = (byte)ssrc;
        final byte[] encrypted = new byte[payload];
        random.nextBytes(encrypted);
        System.arraycopy(encrypted, 0, packet, 12, payload);
        sequence++;
        timestamp += 960;
        synchronized (handedOut)
        {
            handedOut.add(packet);
        }
        buffer.clear();
        buffer.put(packet).flip();
        return buffer;
    }

    @Override
    public DatagramPacket getNextPacket(final boolean changeTalking)
    {
        final ByteBuffer packet = getNextPacketRaw(changeTalking);
        if (null == packet)
        {
            return null;
        }
        final byte[] bytes = new byte[packet.remaining()];
        packet.get(bytes);
        return new DatagramPacket(bytes, bytes.length, voiceServer);
    }

    @Override
    public void onConnectionError(final ConnectionStatus status)
    {
        connectionErrors.incrementAndGet();
    }

    @Override
    public void onConnectionLost()
    {
        connectionErrors.incrementAndGet();
    }
}
