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
package io.soundrelay.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;

/**
 * The syscall boundary of issue 31, measured rather than assumed: the same recvmmsg + sendmmsg relay step over the
 * same off-heap {@link MmsgArea} through three boundaries, {@code variant}:
 * <ul>
 *     <li>{@code jni}: the bench-only C library {@link NativeBatch} ({@code bench/native/srbench.c}), given the
 *     batch's address and a count; one system call per JNI call, no field access.</li>
 *     <li>{@code ffm}: java.lang.foreign downcalls to libc's recvmmsg/sendmmsg ({@link LibcDowncalls}).</li>
 *     <li>{@code ffm-critical}: the same with {@code Linker.Option.critical(false)} (no thread-state transition:
 *     a downcall that blocks holds up safepoints, so only for calls that do not block long).</li>
 * </ul>
 * Netty's epoll transport has no public recvmmsg call: {@code Native.recvmmsg} and {@code NativeDatagramPacketArray}
 * are package-private, reached only through an {@code EpollDatagramChannel}'s read loop; that path is measured end to
 * end (bench/e2e) with the old node, not here.
 * <p>
 * {@link #relay} is one batch: before it, outside the measured time (a {@code Level.Invocation} setup), a sender
 * socket fills the relay socket with {@code batch} datagrams of 180 bytes with one plain FFM sendmmsg on loopback
 * (delivered into the relay socket's queue before sendmmsg returns); the measured part is the relay's work: one
 * recvmmsg of the whole batch (MSG_WAITFORONE on a blocking socket, looped in the rare case that it returns fewer),
 * copying each {@code msg_len} into the send batch's iovec (the datagrams are not copied: the send batch points at
 * the receive buffers), and one sendmmsg of the batch from the relay socket to a sink socket. After it, again outside
 * the measured time, the sink is drained with blocking recvmmsg calls. So the score is the kernel's receive and send
 * work for {@code batch} datagrams (loopback delivery into the sink included) plus two boundary crossings: divide by
 * {@code batch} for ns per datagram. The per-invocation setup/teardown costs JMH a timestamp pair per call, small
 * beside a score of microseconds.
 * <p>
 * {@link #noop} and {@link #getpid} are the boundary alone: a C function that returns its argument, and libc's
 * {@code getpid} (a real system call since glibc 2.25), through each variant.
 * <p>
 * Needs the library: {@code bench/native/build.sh} (see {@link NativeBatch}); run from the repository root.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class SyscallBoundaryBenchmark
{
    /** Bytes of each datagram: a SoundRelay frame with a 160-byte payload. */
    static final int DATAGRAM_BYTES = 180;

    private static final int RECEIVE_BUFFER_BYTES = 2048;
    private static final long RECEIVE_TIMEOUT_SECONDS = 5;

    /** One boundary's calls. */
    interface BatchCalls
    {
        int recvmmsg(int fd, MmsgArea area, int from, int vlen, int flags);

        int sendmmsg(int fd, MmsgArea area, int from, int vlen, int flags);

        int getpid();

        int noop(int value);
    }

    static final class JniCalls implements BatchCalls
    {
        @Override
        public int recvmmsg(final int fd, final MmsgArea area, final int from, final int vlen, final int flags)
        {
            return NativeBatch.recvmmsg(fd, area.address() + (long)from * MmsgArea.MMSGHDR_BYTES, vlen, flags);
        }

        @Override
        public int sendmmsg(final int fd, final MmsgArea area, final int from, final int vlen, final int flags)
        {
            return NativeBatch.sendmmsg(fd, area.address() + (long)from * MmsgArea.MMSGHDR_BYTES, vlen, flags);
        }

        @Override
        public int getpid()
        {
            return NativeBatch.getpid();
        }

        @Override
        public int noop(final int value)
        {
            return NativeBatch.noop(value);
        }
    }

    static final class FfmCalls implements BatchCalls
    {
        @Override
        public int recvmmsg(final int fd, final MmsgArea area, final int from, final int vlen, final int flags)
        {
            try
            {
                return (int)LibcDowncalls.RECVMMSG.invokeExact(
                    fd, headers(area, from), vlen, flags, MemorySegment.NULL);
            }
            catch (final Throwable t)
            {
                throw LibcDowncalls.rethrow(t);
            }
        }

        @Override
        public int sendmmsg(final int fd, final MmsgArea area, final int from, final int vlen, final int flags)
        {
            try
            {
                return (int)LibcDowncalls.SENDMMSG.invokeExact(fd, headers(area, from), vlen, flags);
            }
            catch (final Throwable t)
            {
                throw LibcDowncalls.rethrow(t);
            }
        }

        @Override
        public int getpid()
        {
            try
            {
                return (int)LibcDowncalls.GETPID.invokeExact();
            }
            catch (final Throwable t)
            {
                throw LibcDowncalls.rethrow(t);
            }
        }

        @Override
        public int noop(final int value)
        {
            try
            {
                return (int)LibcDowncalls.OwnLibrary.NOOP.invokeExact(value);
            }
            catch (final Throwable t)
            {
                throw LibcDowncalls.rethrow(t);
            }
        }
    }

    static final class FfmCriticalCalls implements BatchCalls
    {
        @Override
        public int recvmmsg(final int fd, final MmsgArea area, final int from, final int vlen, final int flags)
        {
            try
            {
                return (int)LibcDowncalls.RECVMMSG_CRITICAL.invokeExact(
                    fd, headers(area, from), vlen, flags, MemorySegment.NULL);
            }
            catch (final Throwable t)
            {
                throw LibcDowncalls.rethrow(t);
            }
        }

        @Override
        public int sendmmsg(final int fd, final MmsgArea area, final int from, final int vlen, final int flags)
        {
            try
            {
                return (int)LibcDowncalls.SENDMMSG_CRITICAL.invokeExact(fd, headers(area, from), vlen, flags);
            }
            catch (final Throwable t)
            {
                throw LibcDowncalls.rethrow(t);
            }
        }

        @Override
        public int getpid()
        {
            try
            {
                return (int)LibcDowncalls.GETPID_CRITICAL.invokeExact();
            }
            catch (final Throwable t)
            {
                throw LibcDowncalls.rethrow(t);
            }
        }

        @Override
        public int noop(final int value)
        {
            try
            {
                return (int)LibcDowncalls.OwnLibrary.NOOP_CRITICAL.invokeExact(value);
            }
            catch (final Throwable t)
            {
                throw LibcDowncalls.rethrow(t);
            }
        }
    }

    static MemorySegment headers(final MmsgArea area, final int from)
    {
        return 0 == from ? area.headers() : area.headers().asSlice((long)from * MmsgArea.MMSGHDR_BYTES);
    }

    static BatchCalls calls(final String variant)
    {
        switch (variant)
        {
            case "jni":
                NativeBatch.load();
                return new JniCalls();
            case "ffm":
                return new FfmCalls();
            case "ffm-critical":
                return new FfmCriticalCalls();
            default:
                throw new IllegalArgumentException("variant=" + variant);
        }
    }

    /** The boundary alone. */
    @State(Scope.Thread)
    public static class Calls
    {
        @Param({ "jni", "ffm", "ffm-critical" })
        public String variant;

        BatchCalls calls;
        int value;

        @Setup(Level.Trial)
        public void setUp()
        {
            NativeBatch.libraryPath();
            calls = calls(variant);
            if (calls.noop(42) != 42 || calls.getpid() != ProcessHandle.current().pid())
            {
                throw new IllegalStateException(variant + ": noop or getpid returned the wrong value");
            }
        }
    }

    /** One relay socket between a sender and a sink, on loopback. */
    @State(Scope.Thread)
    public static class Relay
    {
        @Param({ "jni", "ffm", "ffm-critical" })
        public String variant;

        @Param({ "8", "32" })
        public int batch;

        BatchCalls calls;
        Arena arena;
        int senderFd = -1;
        int relayFd = -1;
        int sinkFd = -1;
        MmsgArea fill;
        MmsgArea relayReceive;
        MmsgArea relaySend;
        MmsgArea sinkReceive;
        long batches;
        long shortReceives;
        long shortSends;

        @Setup(Level.Trial)
        public void setUp()
        {
            NativeBatch.libraryPath();
            calls = calls(variant);
            arena = Arena.ofShared();
            final MemorySegment senderAddress = arena.allocate(LibcDowncalls.SOCKADDR_IN_BYTES, 8);
            final MemorySegment relayAddress = arena.allocate(LibcDowncalls.SOCKADDR_IN_BYTES, 8);
            final MemorySegment sinkAddress = arena.allocate(LibcDowncalls.SOCKADDR_IN_BYTES, 8);
            senderFd = LibcDowncalls.boundLoopbackSocket(arena, senderAddress);
            relayFd = LibcDowncalls.boundLoopbackSocket(arena, relayAddress);
            sinkFd = LibcDowncalls.boundLoopbackSocket(arena, sinkAddress);
            LibcDowncalls.receiveTimeout(arena, relayFd, RECEIVE_TIMEOUT_SECONDS);
            LibcDowncalls.receiveTimeout(arena, sinkFd, RECEIVE_TIMEOUT_SECONDS);

            final MmsgArea fillBuffers = MmsgArea.receive(arena, batch, DATAGRAM_BYTES);
            for (int i = 0; i < batch; i++)
            {
                for (int b = 0; b < DATAGRAM_BYTES; b++)
                {
                    fillBuffers.buffers().set(ValueLayout.JAVA_BYTE, (long)i * DATAGRAM_BYTES + b, (byte)(i * 31 + b));
                }
            }
            fill = MmsgArea.sendFrom(arena, fillBuffers, relayAddress);
            relayReceive = MmsgArea.receive(arena, batch, RECEIVE_BUFFER_BYTES);
            relaySend = MmsgArea.sendFrom(arena, relayReceive, sinkAddress);
            sinkReceive = MmsgArea.receive(arena, batch, RECEIVE_BUFFER_BYTES);

            // One checked round: every datagram reaches the sink whole, in order, from the relay socket.
            fill();
            relayOnce();
            drain();
            for (int i = 0; i < batch; i++)
            {
                final MemorySegment got = sinkReceive.buffers().asSlice((long)i * RECEIVE_BUFFER_BYTES, DATAGRAM_BYTES);
                final MemorySegment sent = fillBuffers.buffers().asSlice((long)i * DATAGRAM_BYTES, DATAGRAM_BYTES);
                if (sinkReceive.messageLength(i) != DATAGRAM_BYTES || got.mismatch(sent) != -1)
                {
                    throw new IllegalStateException(variant + ": datagram " + i + " did not reach the sink intact");
                }
            }
            batches = 0;
            shortReceives = 0;
            shortSends = 0;
        }

        @Setup(Level.Invocation)
        public void fill()
        {
            try
            {
                final int sent = (int)LibcDowncalls.SENDMMSG.invokeExact(senderFd, fill.headers(), batch, 0);
                if (sent != batch)
                {
                    throw new IllegalStateException("fill: sendmmsg sent " + sent + " of " + batch);
                }
            }
            catch (final Throwable t)
            {
                throw LibcDowncalls.rethrow(t);
            }
        }

        @TearDown(Level.Invocation)
        public void drain()
        {
            int received = 0;
            while (received < batch)
            {
                final int got;
                try
                {
                    got = (int)LibcDowncalls.RECVMMSG.invokeExact(sinkFd, headers(sinkReceive, received),
                        batch - received, LibcDowncalls.MSG_WAITFORONE, MemorySegment.NULL);
                }
                catch (final Throwable t)
                {
                    throw LibcDowncalls.rethrow(t);
                }
                if (got <= 0)
                {
                    throw new IllegalStateException("drain: the sink got " + received + " of " + batch);
                }
                received += got;
            }
        }

        int relayOnce()
        {
            int received = 0;
            while (received < batch)
            {
                final int n = calls.recvmmsg(relayFd, relayReceive, received, batch - received,
                    LibcDowncalls.MSG_WAITFORONE);
                if (n <= 0)
                {
                    throw new IllegalStateException(variant + ": recvmmsg returned " + n);
                }
                if (0 != received)
                {
                    shortReceives++;
                }
                received += n;
            }
            for (int i = 0; i < received; i++)
            {
                relaySend.iovLength(i, relayReceive.messageLength(i));
            }
            int sent = 0;
            while (sent < received)
            {
                final int n = calls.sendmmsg(relayFd, relaySend, sent, received - sent, 0);
                if (n <= 0)
                {
                    throw new IllegalStateException(variant + ": sendmmsg returned " + n);
                }
                if (0 != sent)
                {
                    shortSends++;
                }
                sent += n;
            }
            batches++;
            return received + sent;
        }

        @TearDown(Level.Trial)
        public void tearDown()
        {
            System.out.println("variant=" + variant + " batch=" + batch + " batches=" + batches +
                " extraRecvmmsgCalls=" + shortReceives + " extraSendmmsgCalls=" + shortSends);
            LibcDowncalls.close(senderFd);
            LibcDowncalls.close(relayFd);
            LibcDowncalls.close(sinkFd);
            arena.close();
        }
    }

    /**
     * One batch through the relay socket: one recvmmsg, one sendmmsg.
     *
     * @param relay the sockets and batches.
     * @return datagrams received plus sent.
     */
    @Benchmark
    public int relay(final Relay relay)
    {
        return relay.relayOnce();
    }

    /**
     * The boundary alone: a C function that returns its argument.
     *
     * @param calls the variant.
     * @return what it returned.
     */
    @Benchmark
    public int noop(final Calls calls)
    {
        return calls.calls.noop(calls.value++);
    }

    /**
     * One cheap system call: getpid.
     *
     * @param calls the variant.
     * @return the process id.
     */
    @Benchmark
    public int getpid(final Calls calls)
    {
        return calls.calls.getpid();
    }
}
