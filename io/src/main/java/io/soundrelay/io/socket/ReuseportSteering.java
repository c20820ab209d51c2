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

import io.soundrelay.io.linux.Syscalls;
import io.soundrelay.io.transport.Transport;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The kernel half of the pipelines' stream ownership (PROTOCOL.md section 11): a classic BPF program attached to the
 * main port's {@code SO_REUSEPORT} group with {@code SO_ATTACH_REUSEPORT_CBPF}, which picks for each datagram the
 * socket of the pipeline that owns its stream. The program runs with offset 0 at the first byte of the UDP payload
 * and returns the index of a socket in the group (its place in bind order):
 * <pre>
 *   'S' 'R' ...                     SoundRelay frame: ld [8] (stream id's low 32 bits)   mod N
 *   10xxxxxx, second byte 200..204  RTCP:             ld [4] (sender SSRC)               mod N
 *   10xxxxxx, otherwise             RTP:              ld [8] (SSRC)                      mod N
 *   anything else                   0
 * </pre>
 * a 32-bit load is big-endian and the modulo unsigned, so the index is Java's
 * {@code Integer.remainderUnsigned((int)streamId, n)}. A load past the datagram's end ends the program with 0: the
 * receiver hands such a datagram to its owner like any other that reached the wrong pipeline.
 */
public final class ReuseportSteering
{
    private static final int BPF_LD = 0x00;
    private static final int BPF_W = 0x00;
    private static final int BPF_B = 0x10;
    private static final int BPF_ABS = 0x20;
    private static final int BPF_ALU = 0x04;
    private static final int BPF_AND = 0x50;
    private static final int BPF_MOD = 0x90;
    private static final int BPF_JMP = 0x05;
    private static final int BPF_JA = 0x00;
    private static final int BPF_JEQ = 0x10;
    private static final int BPF_JGT = 0x20;
    private static final int BPF_JGE = 0x30;
    private static final int BPF_K = 0x00;
    private static final int BPF_RET = 0x06;
    private static final int BPF_A = 0x10;
    private static final int INSTRUCTION_BYTES = 8;

    private ReuseportSteering()
    {
    }

    /**
     * The program for a group of {@code count} sockets, as {@code struct sock_filter} entries: each four values
     * {@code code, jt, jf, k}.
     *
     * @param count sockets in the group, 2 or more.
     * @return the instructions, {@code int[4 * length]}.
     */
    public static int[] program(final int count)
    {
        if (count < 2)
        {
            throw new IllegalArgumentException("a group of " + count + " needs no steering");
        }
        return new int[]{
            BPF_LD | BPF_B | BPF_ABS, 0, 0, 0,              // 0: A = payload[0]
            BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0x53,          // 1: 'S'? 2 : 4
            BPF_LD | BPF_B | BPF_ABS, 0, 0, 1,              // 2: A = payload[1]
            BPF_JMP | BPF_JEQ | BPF_K, 7, 10, 0x52,         // 3: 'R'? 11 : 14
            BPF_ALU | BPF_AND | BPF_K, 0, 0, 0xC0,          // 4: A = payload[0] & 0xC0
            BPF_JMP | BPF_JEQ | BPF_K, 0, 8, 0x80,          // 5: RTP version 2? 6 : 14
            BPF_LD | BPF_B | BPF_ABS, 0, 0, 1,              // 6: A = payload[1]
            BPF_JMP | BPF_JGE | BPF_K, 0, 3, 200,           // 7: >= 200? 8 : 11
            BPF_JMP | BPF_JGT | BPF_K, 2, 0, 204,           // 8: > 204? 11 : 9
            BPF_LD | BPF_W | BPF_ABS, 0, 0, 4,              // 9: RTCP: A = sender SSRC
            BPF_JMP | BPF_JA, 0, 0, 1,                      // 10: to 12
            BPF_LD | BPF_W | BPF_ABS, 0, 0, 8,              // 11: A = stream id's low word, or SSRC
            BPF_ALU | BPF_MOD | BPF_K, 0, 0, count,         // 12: A = A mod count (unsigned)
            BPF_RET | BPF_A, 0, 0, 0,                       // 13: return A
            BPF_RET | BPF_K, 0, 0, 0,                       // 14: return 0
        };
    }

    /**
     * The socket {@link #program(int)} picks for a datagram, computed in Java: what the kernel does, for tests and
     * for a receiver that checks a datagram's owner.
     *
     * @param datagram the UDP payload.
     * @param length   its length.
     * @param count    sockets in the group.
     * @return the index in the group.
     */
    public static int owner(final byte[] datagram, final int length, final int count)
    {
        if (length < 1)
        {
            return 0;
        }
        final int first = datagram[0] & 0xFF;
        final int at;
        if (first == 0x53)
        {
            if (length < 2 || (datagram[1] & 0xFF) != 0x52)
            {
                return 0;
            }
            at = 8;
        }
        else if ((first & 0xC0) == 0x80)
        {
            if (length < 2)
            {
                return 0;
            }
            final int second = datagram[1] & 0xFF;
            at = second >= 200 && second <= 204 ? 4 : 8;
        }
        else
        {
            return 0;
        }
        if (length < at + 4)
        {
            return 0;
        }
        final int word = (datagram[at] & 0xFF) << 24 | (datagram[at + 1] & 0xFF) << 16 |
            (datagram[at + 2] & 0xFF) << 8 | (datagram[at + 3] & 0xFF);
        return Integer.remainderUnsigned(word, count);
    }

    /**
     * Attach the program for a group of {@code count} to the group {@code first} belongs to.
     *
     * @param first the group's first socket (any of its sockets would do).
     * @param count sockets in the group.
     * @return null when the kernel now steers the group, else why it does not, for a person (the caller then relies
     * on the hand-off between pipelines).
     */
    public static String attach(final RelaySocket first, final int count)
    {
        if (count < 2)
        {
            return "a group of " + count + " socket needs no steering";
        }
        if (first.transport() != Transport.EPOLL || first.fd() < 0)
        {
            return "TRANSPORT=" + first.transport().wireName() + " cannot attach a reuseport program (the JDK has no " +
                "SO_ATTACH_REUSEPORT_CBPF); datagrams reach pipelines by the kernel's hash and are handed on";
        }
        if (!Syscalls.isAvailable())
        {
            return "the node's system calls are unavailable: " + Syscalls.unavailabilityCause();
        }
        final int[] program = program(count);
        final int length = program.length / 4;
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment filter = arena.allocate((long)length * INSTRUCTION_BYTES, 8);
            for (int i = 0; i < length; i++)
            {
                final long at = (long)i * INSTRUCTION_BYTES;
                filter.set(ValueLayout.JAVA_SHORT, at, (short)program[4 * i]);
                filter.set(ValueLayout.JAVA_BYTE, at + 2, (byte)program[4 * i + 1]);
                filter.set(ValueLayout.JAVA_BYTE, at + 3, (byte)program[4 * i + 2]);
                filter.set(ValueLayout.JAVA_INT, at + 4, program[4 * i + 3]);
            }
            final MemorySegment fprog = arena.allocate(16, 8);
            fprog.set(ValueLayout.JAVA_SHORT, 0, (short)length);
            fprog.set(ValueLayout.ADDRESS, 8, filter);
            final MemorySegment errno = Syscalls.newErrnoSegment(arena);
            if (Syscalls.setsockopt(errno, first.fd(), Syscalls.SOL_SOCKET, Syscalls.SO_ATTACH_REUSEPORT_CBPF,
                fprog, 16) != 0)
            {
                return "the kernel refused the reuseport program (setsockopt SO_ATTACH_REUSEPORT_CBPF): " +
                    Syscalls.strerror(Syscalls.errno(errno));
            }
        }
        return null;
    }
}
