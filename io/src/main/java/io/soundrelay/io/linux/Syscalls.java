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
package io.soundrelay.io.linux;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Locale;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The data plane's own system-call boundary on Linux, through the Java 25 foreign function API: one downcall handle
 * per call, found once in the C library, each taking a caller-owned errno capture segment first (see
 * {@link #newErrnoSegment(Arena)}). A call returns the kernel's result as C does (-1 on error) and leaves errno in
 * that segment, read with {@link #errno(MemorySegment)}. Nothing here allocates per call.
 * <p>
 * The calls made per batch ({@code recvmmsg}, {@code sendmmsg}, {@code epoll_wait}) take no capture segment and
 * return {@code -errno} instead: see {@link #recvmmsg(int, MemorySegment, int, int)}. Only {@code recvmmsg} and
 * {@code sendmmsg} are bound as critical calls (no thread-state transition): both are made with MSG_DONTWAIT (or on
 * non-blocking sockets) and never wait; the receive that waits is {@link #recvmmsgWaiting}. The struct offsets are
 * those of x86_64 and aarch64 Linux.
 */
public final class Syscalls
{
    /** AF_INET. */
    public static final int AF_INET = 2;
    /** AF_INET6. */
    public static final int AF_INET6 = 10;
    /** SOCK_DGRAM. */
    public static final int SOCK_DGRAM = 2;
    /** SOCK_NONBLOCK. */
    public static final int SOCK_NONBLOCK = 0x800;
    /** SOCK_CLOEXEC. */
    public static final int SOCK_CLOEXEC = 0x80000;
    /** SOL_SOCKET. */
    public static final int SOL_SOCKET = 1;
    /** SO_SNDBUF. */
    public static final int SO_SNDBUF = 7;
    /** SO_RCVBUF. */
    public static final int SO_RCVBUF = 8;
    /** SO_REUSEPORT. */
    public static final int SO_REUSEPORT = 15;
    /** SO_ATTACH_REUSEPORT_CBPF. */
    public static final int SO_ATTACH_REUSEPORT_CBPF = 51;
    /** SO_RCVTIMEO (a struct timeval). */
    public static final int SO_RCVTIMEO = 20;
    /** MSG_DONTWAIT. */
    public static final int MSG_DONTWAIT = 0x40;
    /** MSG_WAITFORONE: a blocking recvmmsg waits for the first message only, then takes what is queued. */
    public static final int MSG_WAITFORONE = 0x10000;
    /** EPOLLIN. */
    public static final int EPOLLIN = 0x1;
    /** EPOLL_CTL_ADD. */
    public static final int EPOLL_CTL_ADD = 1;
    /** EPOLL_CTL_DEL. */
    public static final int EPOLL_CTL_DEL = 2;
    /** EPOLL_CLOEXEC and EFD_CLOEXEC. */
    public static final int O_CLOEXEC = 0x80000;
    /** EFD_NONBLOCK. */
    public static final int EFD_NONBLOCK = 0x800;

    /** EINTR. */
    public static final int EINTR = 4;
    /** EAGAIN (EWOULDBLOCK). */
    public static final int EAGAIN = 11;
    /** ENOBUFS. */
    public static final int ENOBUFS = 105;

    /** sizeof(struct iovec). */
    public static final int IOVEC_BYTES = 16;
    /** sizeof(struct mmsghdr): a msghdr of 56 bytes, msg_len, padding. */
    public static final int MMSGHDR_BYTES = 64;
    /** offsetof(struct msghdr, msg_name). */
    public static final int MSG_NAME_OFFSET = 0;
    /** offsetof(struct msghdr, msg_namelen). */
    public static final int MSG_NAMELEN_OFFSET = 8;
    /** offsetof(struct msghdr, msg_iov). */
    public static final int MSG_IOV_OFFSET = 16;
    /** offsetof(struct msghdr, msg_iovlen). */
    public static final int MSG_IOVLEN_OFFSET = 24;
    /** offsetof(struct mmsghdr, msg_len). */
    public static final int MSG_LEN_OFFSET = 56;
    /** sizeof(struct sockaddr_in). */
    public static final int SOCKADDR_IN_BYTES = 16;
    /** sizeof(struct sockaddr_in6): room for either family's address. */
    public static final int SOCKADDR_IN6_BYTES = 28;
    /** sizeof(struct epoll_event): packed on x86_64 (12 bytes), naturally aligned elsewhere (16). */
    public static final int EPOLL_EVENT_BYTES;
    /** offsetof(struct epoll_event, data). */
    public static final int EPOLL_DATA_OFFSET;

    private static final MethodHandle SOCKET;
    private static final MethodHandle BIND;
    private static final MethodHandle SETSOCKOPT;
    private static final MethodHandle GETSOCKNAME;
    private static final MethodHandle CLOSE;
    private static final MethodHandle RECVMMSG;
    private static final MethodHandle SENDMMSG;
    private static final MethodHandle EPOLL_CREATE1;
    private static final MethodHandle EPOLL_CTL;
    private static final MethodHandle EPOLL_WAIT;
    private static final MethodHandle EVENTFD;
    private static final MethodHandle READ;
    private static final MethodHandle WRITE;
    private static final MethodHandle STRERROR;
    private static final MethodHandle ERRNO_LOCATION;
    private static final MethodHandle RECVMMSG_WAITING;
    private static final MethodHandle SENDTO;
    private static final StructLayout CAPTURE_LAYOUT;
    private static final VarHandle ERRNO;
    /** All of the address space: where errno is read, at the address {@code __errno_location} gives. */
    private static final MemorySegment ALL_MEMORY;
    private static final Throwable UNAVAILABILITY_CAUSE;

    static
    {
        final String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        final boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
        EPOLL_EVENT_BYTES = x86 ? 12 : 16;
        EPOLL_DATA_OFFSET = x86 ? 4 : 8;

        final MethodHandle[] h = new MethodHandle[17];
        StructLayout capture = null;
        VarHandle errno = null;
        MemorySegment allMemory = MemorySegment.NULL;
        Throwable cause = null;
        try
        {
            if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux"))
            {
                throw new UnsupportedOperationException("not Linux: " + System.getProperty("os.name"));
            }
            if (!x86 && !arch.equals("aarch64"))
            {
                throw new UnsupportedOperationException("struct layouts known for x86_64 and aarch64 only: " + arch);
            }
            final Linker linker = Linker.nativeLinker();
            final SymbolLookup libc = linker.defaultLookup();
            capture = Linker.Option.captureStateLayout();
            errno = capture.varHandle(MemoryLayout.PathElement.groupElement("errno"));
            final Linker.Option errnoOption = Linker.Option.captureCallState("errno");
            final Linker.Option critical = Linker.Option.critical(false);
            h[0] = bind(linker, libc, "socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
                errnoOption);
            h[1] = bind(linker, libc, "bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT),
                errnoOption);
            h[2] = bind(linker, libc, "setsockopt",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), errnoOption);
            h[3] = bind(linker, libc, "getsockname", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS),
                errnoOption);
            h[4] = bind(linker, libc, "close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), errnoOption);
            h[5] = bind(linker, libc, "recvmmsg",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), critical);
            h[6] = bind(linker, libc, "sendmmsg",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), critical);
            h[7] = bind(linker, libc, "epoll_create1", FunctionDescriptor.of(JAVA_INT, JAVA_INT), errnoOption);
            h[8] = bind(linker, libc, "epoll_ctl",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), errnoOption);
            h[9] = bind(linker, libc, "epoll_wait",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
            h[10] = bind(linker, libc, "eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), errnoOption);
            h[11] = bind(linker, libc, "read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
                errnoOption);
            h[12] = bind(linker, libc, "write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG),
                errnoOption);
            h[13] = bind(linker, libc, "strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));
            h[14] = bind(linker, libc, "__errno_location", FunctionDescriptor.of(JAVA_LONG), critical);
            allMemory = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
            h[15] = bind(linker, libc, "recvmmsg",
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
            h[16] = bind(linker, libc, "sendto",
                FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
        }
        catch (final Throwable t)
        {
            cause = t;
        }
        SOCKET = h[0];
        BIND = h[1];
        SETSOCKOPT = h[2];
        GETSOCKNAME = h[3];
        CLOSE = h[4];
        RECVMMSG = h[5];
        SENDMMSG = h[6];
        EPOLL_CREATE1 = h[7];
        EPOLL_CTL = h[8];
        EPOLL_WAIT = h[9];
        EVENTFD = h[10];
        READ = h[11];
        WRITE = h[12];
        STRERROR = h[13];
        ERRNO_LOCATION = h[14];
        ALL_MEMORY = allMemory;
        RECVMMSG_WAITING = h[15];
        SENDTO = h[16];
        CAPTURE_LAYOUT = capture;
        ERRNO = errno;
        UNAVAILABILITY_CAUSE = cause;
    }

    private Syscalls()
    {
    }

    private static MethodHandle bind(
        final Linker linker,
        final SymbolLookup libc,
        final String name,
        final FunctionDescriptor descriptor,
        final Linker.Option... options)
    {
        final MemorySegment symbol = libc.find(name)
            .orElseThrow(() -> new UnsupportedOperationException("no " + name + " in the C library"));
        return linker.downcallHandle(symbol, descriptor, options);
    }

    /**
     * @return true when every call links on this machine.
     */
    public static boolean isAvailable()
    {
        return UNAVAILABILITY_CAUSE == null;
    }

    /**
     * @return why {@link #isAvailable()} is false, or null.
     */
    public static Throwable unavailabilityCause()
    {
        return UNAVAILABILITY_CAUSE;
    }

    /**
     * @throws IllegalStateException when the calls do not link here.
     */
    public static void ensureAvailable()
    {
        if (UNAVAILABILITY_CAUSE != null)
        {
            throw new IllegalStateException("the node's Linux system calls are unavailable: " + UNAVAILABILITY_CAUSE,
                UNAVAILABILITY_CAUSE);
        }
    }

    /**
     * @param arena owns the segment; one per thread that makes calls (the segment is written by every call).
     * @return an errno capture segment.
     */
    public static MemorySegment newErrnoSegment(final Arena arena)
    {
        ensureAvailable();
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /**
     * @param errnoSegment written by the last call that took it.
     * @return the errno that call left.
     */
    public static int errno(final MemorySegment errnoSegment)
    {
        return (int)ERRNO.get(errnoSegment, 0L);
    }

    /**
     * @param errno a positive errno.
     * @return the C library's text for it, with the number, e.g. {@code "Address already in use (errno 98)"}.
     */
    public static String strerror(final int errno)
    {
        try
        {
            final MemorySegment text = (MemorySegment)STRERROR.invokeExact(errno);
            return text.reinterpret(256).getString(0) + " (errno " + errno + ")";
        }
        catch (final Throwable t)
        {
            return "errno " + errno;
        }
    }

    /**
     * @param errno      capture segment.
     * @param domain     AF_INET or AF_INET6.
     * @param type       SOCK_DGRAM with flags.
     * @param protocol   0.
     * @return the descriptor, or -1.
     */
    public static int socket(final MemorySegment errno, final int domain, final int type, final int protocol)
    {
        try
        {
            return (int)SOCKET.invokeExact(errno, domain, type, protocol);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * @param errno   capture segment.
     * @param fd      socket.
     * @param address a sockaddr.
     * @param length  its length.
     * @return 0, or -1.
     */
    public static int bind(final MemorySegment errno, final int fd, final MemorySegment address, final int length)
    {
        try
        {
            return (int)BIND.invokeExact(errno, fd, address, length);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * @param errno  capture segment.
     * @param fd     socket.
     * @param level  SOL_SOCKET, ...
     * @param name   the option.
     * @param value  its value.
     * @param length the value's length.
     * @return 0, or -1.
     */
    public static int setsockopt(
        final MemorySegment errno,
        final int fd,
        final int level,
        final int name,
        final MemorySegment value,
        final int length)
    {
        try
        {
            return (int)SETSOCKOPT.invokeExact(errno, fd, level, name, value, length);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * @param errno   capture segment.
     * @param fd      socket.
     * @param address receives the sockaddr.
     * @param length  in: room in {@code address}; out: its length (a socklen_t).
     * @return 0, or -1.
     */
    public static int getsockname(
        final MemorySegment errno, final int fd, final MemorySegment address, final MemorySegment length)
    {
        try
        {
            return (int)GETSOCKNAME.invokeExact(errno, fd, address, length);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * @param errno capture segment.
     * @param fd    descriptor.
     * @return 0, or -1.
     */
    public static int close(final MemorySegment errno, final int fd)
    {
        try
        {
            return (int)CLOSE.invokeExact(errno, fd);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code recvmmsg(fd, msgs, count, flags, NULL)}, bound without errno capture: the capture's per-call checks
     * allocate when the call is not inlined into its caller, and this runs per batch. On failure errno is read at
     * once from the calling thread's errno ({@code __errno_location}); the call is critical (no thread-state
     * transition), so nothing of the JVM's runs between the two.
     *
     * @param fd    socket.
     * @param msgs  the mmsghdr array.
     * @param count messages to fill.
     * @param flags MSG_DONTWAIT, ...
     * @return messages received, or {@code -errno}.
     */
    public static int recvmmsg(final int fd, final MemorySegment msgs, final int count, final int flags)
    {
        try
        {
            final int n = (int)RECVMMSG.invokeExact(fd, msgs, count, flags, MemorySegment.NULL);
            return n >= 0 ? n : -lastErrno();
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code recvmmsg(fd, msgs, count, flags, NULL)} that may block (a blocking socket, without MSG_DONTWAIT): bound
     * as {@link #recvmmsg(int, MemorySegment, int, int)} is but as no critical call, so the thread is in native state
     * while it waits and never holds up a safepoint. It fails each time its timeout passes, so errno is not read
     * here (that allocates): the caller reads it from its thread's {@link #errnoLocation()}, kept. As with
     * {@link #epollWait}, errno read after it may have been changed by the JVM on the way back; it serves to tell a
     * timeout or EINTR from other failures in a log line.
     *
     * @param fd    a blocking socket.
     * @param msgs  the mmsghdr array.
     * @param count messages to fill.
     * @param flags MSG_WAITFORONE, ...
     * @return messages received, or -1.
     */
    public static int recvmmsgWaiting(final int fd, final MemorySegment msgs, final int count, final int flags)
    {
        try
        {
            return (int)RECVMMSG_WAITING.invokeExact(fd, msgs, count, flags, MemorySegment.NULL);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * @return the calling thread's errno, as a segment of 4 bytes valid as long as the thread lives (allocates: keep
     * it per thread).
     */
    public static MemorySegment errnoLocation()
    {
        try
        {
            return MemorySegment.ofAddress((long)ERRNO_LOCATION.invokeExact()).reinterpret(4);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code sendto(fd, buffer, length, flags, address, addressLength)}, without errno capture (any thread may call
     * it, and its caller only needs to know whether it failed).
     *
     * @param fd            socket.
     * @param buffer        the datagram.
     * @param length        its bytes.
     * @param flags         MSG_DONTWAIT, ...
     * @param address       the destination sockaddr.
     * @param addressLength its length.
     * @return bytes sent, or -1.
     */
    public static long sendto(
        final int fd,
        final MemorySegment buffer,
        final long length,
        final int flags,
        final MemorySegment address,
        final int addressLength)
    {
        try
        {
            return (long)SENDTO.invokeExact(fd, buffer, length, flags, address, addressLength);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code sendmmsg(fd, msgs, count, flags)}, bound as {@link #recvmmsg(int, MemorySegment, int, int)} is.
     *
     * @param fd    socket.
     * @param msgs  the first mmsghdr to send.
     * @param count messages.
     * @param flags 0, ...
     * @return messages sent, or {@code -errno}.
     */
    public static int sendmmsg(final int fd, final MemorySegment msgs, final int count, final int flags)
    {
        try
        {
            final int n = (int)SENDMMSG.invokeExact(fd, msgs, count, flags);
            return n >= 0 ? n : -lastErrno();
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * @return the calling thread's errno now. {@code __errno_location} is bound as returning a plain 64-bit address
     * and read through one segment over all memory, so nothing is allocated: an EAGAIN is not an error path here
     * (a {@code MemorySegment} return value, reinterpreted per call, measured 0.4 B per datagram when C2 did not
     * scalarize it).
     */
    private static int lastErrno() throws Throwable
    {
        final long location = (long)ERRNO_LOCATION.invokeExact();
        return ALL_MEMORY.get(JAVA_INT, location);
    }

    /**
     * @param errno capture segment.
     * @param flags EPOLL_CLOEXEC.
     * @return the epoll descriptor, or -1.
     */
    public static int epollCreate1(final MemorySegment errno, final int flags)
    {
        try
        {
            return (int)EPOLL_CREATE1.invokeExact(errno, flags);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * @param errno capture segment.
     * @param epfd  epoll descriptor.
     * @param op    EPOLL_CTL_ADD, EPOLL_CTL_DEL.
     * @param fd    the descriptor watched.
     * @param event an epoll_event, or NULL for DEL.
     * @return 0, or -1.
     */
    public static int epollCtl(
        final MemorySegment errno, final int epfd, final int op, final int fd, final MemorySegment event)
    {
        try
        {
            return (int)EPOLL_CTL.invokeExact(errno, epfd, op, fd, event);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * {@code epoll_wait}, bound without errno capture as {@link #recvmmsg(int, MemorySegment, int, int)} is (it runs
     * per receive with several sockets). It may block, so it is no critical call: errno read after it may have been
     * changed by the JVM on the way back, and serves only to tell EINTR from other failures in a log line.
     *
     * @param epfd      epoll descriptor.
     * @param events    room for {@code maxEvents} epoll_events.
     * @param maxEvents most events.
     * @param timeoutMs 0 to poll, -1 forever.
     * @return ready descriptors, or {@code -errno}.
     */
    public static int epollWait(final int epfd, final MemorySegment events, final int maxEvents, final int timeoutMs)
    {
        try
        {
            final int n = (int)EPOLL_WAIT.invokeExact(epfd, events, maxEvents, timeoutMs);
            return n >= 0 ? n : -lastErrno();
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * @param errno   capture segment.
     * @param initial the counter's start.
     * @param flags   EFD_NONBLOCK | EFD_CLOEXEC.
     * @return the eventfd, or -1.
     */
    public static int eventfd(final MemorySegment errno, final int initial, final int flags)
    {
        try
        {
            return (int)EVENTFD.invokeExact(errno, initial, flags);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * @param errno  capture segment.
     * @param fd     descriptor.
     * @param buffer where to.
     * @param length bytes.
     * @return bytes read, or -1.
     */
    public static long read(final MemorySegment errno, final int fd, final MemorySegment buffer, final long length)
    {
        try
        {
            return (long)READ.invokeExact(errno, fd, buffer, length);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * @param errno  capture segment.
     * @param fd     descriptor.
     * @param buffer what.
     * @param length bytes.
     * @return bytes written, or -1.
     */
    public static long write(final MemorySegment errno, final int fd, final MemorySegment buffer, final long length)
    {
        try
        {
            return (long)WRITE.invokeExact(errno, fd, buffer, length);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    private static IllegalStateException rethrow(final Throwable t)
    {
        if (t instanceof RuntimeException)
        {
            throw (RuntimeException)t;
        }
        if (t instanceof Error)
        {
            throw (Error)t;
        }
        return new IllegalStateException(t);
    }
}
