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

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteOrder;

/**
 * The java.lang.foreign binding of {@link SyscallBoundaryBenchmark}: downcalls to libc's {@code recvmmsg},
 * {@code sendmmsg} and {@code getpid}, and to the bench library's {@code srbench_noop}, each as a plain downcall and
 * as a critical one ({@code Linker.Option.critical(false)}: no thread-state transition, no heap access), plus the
 * socket calls the benchmark sets up with. No errno capture: a failed call returns -1 (the benchmark only checks
 * counts).
 */
final class LibcDowncalls
{
    /** AF_INET. */
    static final int AF_INET = 2;
    /** SOCK_DGRAM. */
    static final int SOCK_DGRAM = 2;
    /** SOL_SOCKET. */
    static final int SOL_SOCKET = 1;
    /** SO_RCVTIMEO (x86_64). */
    static final int SO_RCVTIMEO = 20;
    /** MSG_WAITFORONE: block for the first datagram only. */
    static final int MSG_WAITFORONE = 0x10000;
    /** {@code sizeof(struct sockaddr_in)}. */
    static final int SOCKADDR_IN_BYTES = 16;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final Linker.Option CRITICAL = Linker.Option.critical(false);

    private static final FunctionDescriptor RECVMMSG_DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
    private static final FunctionDescriptor SENDMMSG_DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
    private static final FunctionDescriptor GETPID_DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT);
    private static final FunctionDescriptor NOOP_DESC = FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT);

    static final MethodHandle RECVMMSG = libc("recvmmsg", RECVMMSG_DESC);
    static final MethodHandle RECVMMSG_CRITICAL = libc("recvmmsg", RECVMMSG_DESC, CRITICAL);
    static final MethodHandle SENDMMSG = libc("sendmmsg", SENDMMSG_DESC);
    static final MethodHandle SENDMMSG_CRITICAL = libc("sendmmsg", SENDMMSG_DESC, CRITICAL);
    static final MethodHandle GETPID = libc("getpid", GETPID_DESC);
    static final MethodHandle GETPID_CRITICAL = libc("getpid", GETPID_DESC, CRITICAL);

    private static final MethodHandle SOCKET = libc("socket", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle BIND = libc("bind", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle GETSOCKNAME = libc("getsockname", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    private static final MethodHandle SETSOCKOPT = libc("setsockopt", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = libc("close", FunctionDescriptor.of(ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT));

    private LibcDowncalls()
    {
    }

    private static MethodHandle libc(final String name, final FunctionDescriptor desc, final Linker.Option... options)
    {
        final MemorySegment symbol = LIBC.find(name).orElseThrow(() -> new IllegalStateException("no libc " + name));
        return LINKER.downcallHandle(symbol, desc, options);
    }

    /** The bench library's {@code srbench_noop}, looked up on first use (the library must be built). */
    static final class OwnLibrary
    {
        static final MethodHandle NOOP;
        static final MethodHandle NOOP_CRITICAL;

        static
        {
            final SymbolLookup lookup = SymbolLookup.libraryLookup(NativeBatch.libraryPath(), Arena.global());
            final MemorySegment symbol = lookup.find("srbench_noop").orElseThrow();
            NOOP = LINKER.downcallHandle(symbol, NOOP_DESC);
            NOOP_CRITICAL = LINKER.downcallHandle(symbol, NOOP_DESC, CRITICAL);
        }

        private OwnLibrary()
        {
        }
    }

    /**
     * A blocking IPv4 UDP socket bound to 127.0.0.1 on an ephemeral port, its bound address written to
     * {@code sockaddr} (16 bytes).
     *
     * @param arena    for the call's scratch memory.
     * @param sockaddr where the bound address goes.
     * @return the descriptor.
     */
    static int boundLoopbackSocket(final Arena arena, final MemorySegment sockaddr)
    {
        try
        {
            final int fd = (int)SOCKET.invokeExact(AF_INET, SOCK_DGRAM, 0);
            check(fd, "socket");
            sockaddr.fill((byte)0);
            sockaddr.set(ValueLayout.JAVA_SHORT, 0, (short)AF_INET);
            sockaddr.set(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 4, 0x7F00_0001);
            check((int)BIND.invokeExact(fd, sockaddr, SOCKADDR_IN_BYTES), "bind");
            final MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, SOCKADDR_IN_BYTES);
            check((int)GETSOCKNAME.invokeExact(fd, sockaddr, len), "getsockname");
            return fd;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * SO_RCVTIMEO: a blocking receive gives up after {@code seconds}.
     *
     * @param arena   for the call's scratch memory.
     * @param fd      the socket.
     * @param seconds the timeout.
     */
    static void receiveTimeout(final Arena arena, final int fd, final long seconds)
    {
        try
        {
            final MemorySegment timeval = arena.allocate(16, 8);
            timeval.set(ValueLayout.JAVA_LONG, 0, seconds);
            timeval.set(ValueLayout.JAVA_LONG, 8, 0L);
            check((int)SETSOCKOPT.invokeExact(fd, SOL_SOCKET, SO_RCVTIMEO, timeval, 16), "setsockopt(SO_RCVTIMEO)");
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * close(2), ignoring errors.
     *
     * @param fd the descriptor, or a negative value for none.
     */
    static void close(final int fd)
    {
        if (fd < 0)
        {
            return;
        }
        try
        {
            final int ignored = (int)CLOSE.invokeExact(fd);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    private static void check(final int result, final String call)
    {
        if (result < 0)
        {
            throw new IllegalStateException(call + " failed: " + result);
        }
    }

    static RuntimeException rethrow(final Throwable t)
    {
        if (t instanceof RuntimeException)
        {
            return (RuntimeException)t;
        }
        if (t instanceof Error)
        {
            throw (Error)t;
        }
        return new IllegalStateException(t);
    }
}
