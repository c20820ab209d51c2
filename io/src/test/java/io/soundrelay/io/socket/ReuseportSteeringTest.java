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
import io.soundrelay.io.linux.Syscalls;
import io.soundrelay.io.transport.Transport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The main port as a reuseport group, and the kernel steering each datagram to its stream's owner, for real: a group
 * of sockets on 127.0.0.1 with the program attached, datagrams of many stream ids and SSRCs from one plain channel
 * (without the program the kernel's hash of that one source would put them all on one socket), each read back from
 * the socket it reached.
 */
class ReuseportSteeringTest
{
    private static final long WAIT_NS = TimeUnit.SECONDS.toNanos(5);

    private final List<RelaySocket> sockets = new ArrayList<>();

    @AfterEach
    void close() throws IOException
    {
        for (final RelaySocket socket : sockets)
        {
            socket.close();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { 2, 3 })
    void eachDatagramReachesItsOwnersSocket(final int count) throws Exception
    {
        assumeTrue(Transport.EPOLL.isAvailable(), "epoll not available here");
        sockets.addAll(RelaySocket.openReusePortGroup(
            Transport.EPOLL, new InetSocketAddress("127.0.0.1", 0), count, 256 * 1024));
        assertEquals(count, sockets.size());
        for (final RelaySocket socket : sockets)
        {
            assertEquals(sockets.get(0).port(), socket.port(), "one port for the group");
        }
        assertNull(ReuseportSteering.attach(sockets.get(0), count));

        final SplittableRandom random = new SplittableRandom(count);
        final int[] perSocket = new int[count];
        try (DatagramChannel source = DatagramChannel.open(); Arena arena = Arena.ofConfined())
        {
            source.bind(new InetSocketAddress("127.0.0.1", 0));
            final MemorySegment errno = Syscalls.newErrnoSegment(arena);
            final MemorySegment buffer = arena.allocate(2048);
            for (int i = 0; i < 300; i++)
            {
                final long streamId = random.nextLong() | 1;
                final int ssrc = random.nextInt();
                final byte[] datagram;
                final int owner;
                switch (i % 3)
                {
                    case 0:
                        datagram = frame(streamId);
                        owner = Integer.remainderUnsigned((int)streamId, count);
                        break;
                    case 1:
                        datagram = rtp(0x78 + random.nextInt(2) * 0x80, ssrc);
                        owner = Integer.remainderUnsigned(ssrc, count);
                        break;
                    default:
                        datagram = rtcp(200 + random.nextInt(5), ssrc);
                        owner = Integer.remainderUnsigned(ssrc, count);
                }
                assertEquals(owner, ReuseportSteering.owner(datagram, datagram.length, count), "Java's own rule");
                source.send(ByteBuffer.wrap(datagram), sockets.get(0).localAddress());
                final int at = arrival(errno, buffer, datagram);
                assertEquals(owner, at, "datagram " + i + " (kind " + i % 3 + ") reached its owner's socket");
                perSocket[at]++;
            }
            source.send(ByteBuffer.wrap(new byte[]{ 0x01, 0x02, 0x03 }), sockets.get(0).localAddress());
            assertEquals(0, arrival(errno, buffer, new byte[]{ 0x01, 0x02, 0x03 }), "junk: the first socket");
            final byte[] shortRtp = new byte[]{ (byte)0x80, 0x78, 0, 1, 0, 0, 0, 7, 0, 0 };
            source.send(ByteBuffer.wrap(shortRtp), sockets.get(0).localAddress());
            assertEquals(0, arrival(errno, buffer, shortRtp), "a load past the end: the first socket");
        }
        for (int s = 0; s < count; s++)
        {
            assertTrue(perSocket[s] > 0, "socket " + s + " owns some streams");
        }
    }

    @Test
    void attachSaysWhyItCannotOnNioOrForOneSocket() throws Exception
    {
        sockets.addAll(RelaySocket.openReusePortGroup(
            Transport.NIO, new InetSocketAddress("127.0.0.1", 0), 2, 64 * 1024));
        assertEquals(sockets.get(0).port(), sockets.get(1).port());
        final String nio = ReuseportSteering.attach(sockets.get(0), 2);
        assertNotNull(nio);
        assertTrue(nio.contains("nio"), nio);
        assertNotNull(ReuseportSteering.attach(sockets.get(0), 1));
    }

    @ParameterizedTest
    @ValueSource(strings = { "epoll", "nio" })
    void aGroupOfOneIsExclusiveAndAGroupOnATakenPortFails(final String name) throws Exception
    {
        final Transport transport = Transport.valueOf(name.toUpperCase(java.util.Locale.ROOT));
        assumeTrue(transport.isAvailable(), name + " not available here");
        final RelaySocket one = RelaySocket.openReusePortGroup(
            transport, new InetSocketAddress("127.0.0.1", 0), 1, 64 * 1024).get(0);
        sockets.add(one);
        final BindFailure again = assertThrows(BindFailure.class, () -> RelaySocket.openReusePortGroup(
            transport, one.localAddress(), 1, 64 * 1024));
        assertTrue(again.reason().startsWith("address already in use"), again.getMessage());
        final BindFailure group = assertThrows(BindFailure.class, () -> RelaySocket.openReusePortGroup(
            transport, one.localAddress(), 3, 64 * 1024));
        assertTrue(group.reason().startsWith("address already in use"), group.getMessage());
    }

    @Test
    void theProgramIsWhatTheJavaRuleSays()
    {
        final int[] program = ReuseportSteering.program(5);
        assertEquals(15 * 4, program.length);
        assertArrayEquals(new int[]{ 0x94, 0, 0, 5 }, java.util.Arrays.copyOfRange(program, 48, 52), "mod 5");
        assertThrows(IllegalArgumentException.class, () -> ReuseportSteering.program(1));
    }

    /**
     * @return the index of the socket the datagram reached, read back off it.
     */
    private int arrival(final MemorySegment errno, final MemorySegment buffer, final byte[] expected)
    {
        final long deadline = System.nanoTime() + WAIT_NS;
        while (System.nanoTime() < deadline)
        {
            for (int s = 0; s < sockets.size(); s++)
            {
                final long n = receive(sockets.get(s).fd(), buffer);
                if (n >= 0)
                {
                    final byte[] got = buffer.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE);
                    assertArrayEquals(expected, got, "the datagram sent");
                    return s;
                }
            }
            Thread.onSpinWait();
        }
        throw new AssertionError("no socket got the datagram within 5 s");
    }

    /**
     * One datagram off a main socket (blocking, so with MSG_DONTWAIT, as the receiver reads it).
     *
     * @return its length, or -1 when the socket had none.
     */
    private static long receive(final int fd, final MemorySegment buffer)
    {
        try (Arena call = Arena.ofConfined())
        {
            final MemorySegment iov = call.allocate(Syscalls.IOVEC_BYTES, 8);
            iov.set(ValueLayout.JAVA_LONG, 0, buffer.address());
            iov.set(ValueLayout.JAVA_LONG, 8, buffer.byteSize());
            final MemorySegment msg = call.allocate(Syscalls.MMSGHDR_BYTES, 8);
            msg.set(ValueLayout.JAVA_LONG, Syscalls.MSG_IOV_OFFSET, iov.address());
            msg.set(ValueLayout.JAVA_LONG, Syscalls.MSG_IOVLEN_OFFSET, 1L);
            final int n = Syscalls.recvmmsg(fd, msg, 1, Syscalls.MSG_DONTWAIT);
            return n == 1 ? msg.get(ValueLayout.JAVA_INT, Syscalls.MSG_LEN_OFFSET) : -1;
        }
    }

    private static byte[] frame(final long streamId)
    {
        return ByteBuffer.allocate(24).put((byte)0x53).put((byte)0x52).put((byte)1).put((byte)0)
            .putLong(streamId).putInt(7).putInt(960).putInt(0xCAFE).array();
    }

    private static byte[] rtp(final int payloadType, final int ssrc)
    {
        return ByteBuffer.allocate(20).put((byte)0x80).put((byte)payloadType).putShort((short)1).putInt(960)
            .putInt(ssrc).putLong(0x0102030405060708L).array();
    }

    private static byte[] rtcp(final int packetType, final int ssrc)
    {
        return ByteBuffer.allocate(28).put((byte)0x81).put((byte)packetType).putShort((short)6).putInt(ssrc)
            .putInt(0x11111111).putInt(0x22222222).putLong(0).putInt(0).array();
    }
}
