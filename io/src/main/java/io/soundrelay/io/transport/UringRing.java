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
package io.soundrelay.io.transport;

import io.netty.channel.uring.IoUring;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One io_uring instance owned by one data-plane thread, made and driven through Netty's io_uring binding (its ring
 * set-up, submission queue and {@code io_uring_enter}), which Netty keeps package-private: reached once, at class
 * initialisation, through method handles, as {@link NettyEpollInternals} reaches the epoll binding. Completions are
 * read straight from the shared completion ring, so nothing is allocated per completion.
 * <p>
 * Life cycle: {@link #open(int, int)} on any thread, {@link #enable()} on the owning thread before its first
 * submission (the ring is set up single-issuer and with deferred task work, so only that thread may submit, and
 * completions of waiting operations arrive when it enters the kernel with GETEVENTS), {@link #close()} last.
 */
public final class UringRing implements AutoCloseable
{
    public static final byte IORING_OP_SENDMSG = 9;
    public static final byte IORING_OP_RECVMSG = 10;
    public static final byte IORING_OP_TIMEOUT = 11;
    public static final byte IORING_OP_ASYNC_CANCEL = 14;
    public static final byte IORING_OP_READ = 22;
    /** {@code MSG_DONTWAIT}: a send that would block completes at once with -EAGAIN instead of waiting. */
    public static final int MSG_DONTWAIT = 0x40;
    public static final int ECANCELED = 125;
    public static final int ETIME = 62;
    public static final int EAGAIN = 11;
    public static final int ENOENT = 2;
    public static final int EALREADY = 114;

    private static final int CQE_SIZE = 16;
    private static final int CQE_USER_DATA = 0;
    private static final int CQE_RES = 8;
    private static final int CQE_FLAGS = 12;
    private static final int IORING_CQE_F_32 = 1 << 15;
    private static final int IORING_CQE_F_SKIP = 1 << 5;
    private static final int IORING_SETUP_CQSIZE = 1 << 3;
    private static final int IORING_SETUP_CQE32 = 1 << 11;
    private static final int IORING_ENTER_GETEVENTS = 1;
    private static final VarHandle INT = MethodHandles.byteBufferViewVarHandle(int[].class, ByteOrder.nativeOrder());

    private static final MethodHandle SETUP_FLAGS;
    private static final MethodHandle CREATE;
    private static final MethodHandle ENABLE;
    private static final MethodHandle CLOSE;
    private static final MethodHandle RING_FD;
    private static final MethodHandle SUBMISSION_QUEUE;
    private static final MethodHandle COMPLETION_QUEUE;
    private static final MethodHandle ENQUEUE;
    private static final MethodHandle SUBMIT;
    private static final MethodHandle SUBMIT_AND_GET;
    private static final MethodHandle NEW_EVENT_FD;
    private static final MethodHandle EVENT_FD_WRITE;
    private static final VarHandle CQ_HEAD;
    private static final VarHandle CQ_TAIL;
    private static final VarHandle CQ_ARRAY;
    private static final VarHandle CQ_MASK;
    private static final VarHandle CQ_ENTRY_LENGTH;
    private static final Throwable UNAVAILABILITY_CAUSE;

    static
    {
        MethodHandle setupFlags = null;
        MethodHandle create = null;
        MethodHandle enable = null;
        MethodHandle close = null;
        MethodHandle ringFd = null;
        MethodHandle sq = null;
        MethodHandle cq = null;
        MethodHandle enqueue = null;
        MethodHandle submit = null;
        MethodHandle submitAndGet = null;
        MethodHandle newEventFd = null;
        MethodHandle eventFdWrite = null;
        VarHandle cqHead = null;
        VarHandle cqTail = null;
        VarHandle cqArray = null;
        VarHandle cqMask = null;
        VarHandle cqEntryLength = null;
        Throwable cause = null;
        try
        {
            IoUring.ensureAvailability();
            final Class<?> nativeClass = Class.forName("io.netty.channel.uring.Native");
            final Class<?> ringClass = Class.forName("io.netty.channel.uring.RingBuffer");
            final Class<?> sqClass = Class.forName("io.netty.channel.uring.SubmissionQueue");
            final Class<?> cqClass = Class.forName("io.netty.channel.uring.CompletionQueue");
            final Class<?> fdClass = Class.forName("io.netty.channel.unix.FileDescriptor");
            final MethodHandles.Lookup nativeLookup =
                MethodHandles.privateLookupIn(nativeClass, MethodHandles.lookup());
            final MethodHandles.Lookup ringLookup = MethodHandles.privateLookupIn(ringClass, MethodHandles.lookup());
            final MethodHandles.Lookup sqLookup = MethodHandles.privateLookupIn(sqClass, MethodHandles.lookup());
            final MethodHandles.Lookup cqLookup = MethodHandles.privateLookupIn(cqClass, MethodHandles.lookup());
            final MethodType objectToVoid = MethodType.methodType(void.class, Object.class);

            setupFlags = nativeLookup.findStatic(nativeClass, "setupFlags",
                MethodType.methodType(int.class, boolean.class));
            create = nativeLookup.findStatic(nativeClass, "createRingBuffer",
                MethodType.methodType(ringClass, int.class, int.class, int.class))
                .asType(MethodType.methodType(Object.class, int.class, int.class, int.class));
            enable = ringLookup.findVirtual(ringClass, "enable", MethodType.methodType(void.class))
                .asType(objectToVoid);
            close = ringLookup.findVirtual(ringClass, "close", MethodType.methodType(void.class)).asType(objectToVoid);
            ringFd = ringLookup.findVirtual(ringClass, "fd", MethodType.methodType(int.class))
                .asType(MethodType.methodType(int.class, Object.class));
            sq = ringLookup.findVirtual(ringClass, "ioUringSubmissionQueue", MethodType.methodType(sqClass))
                .asType(MethodType.methodType(Object.class, Object.class));
            cq = ringLookup.findVirtual(ringClass, "ioUringCompletionQueue", MethodType.methodType(cqClass))
                .asType(MethodType.methodType(Object.class, Object.class));
            enqueue = sqLookup.findVirtual(sqClass, "enqueueSqe", MethodType.methodType(long.class, byte.class,
                byte.class, short.class, int.class, long.class, long.class, int.class, int.class, long.class,
                short.class, short.class, int.class, long.class))
                .asType(MethodType.methodType(long.class, Object.class, byte.class, byte.class, short.class,
                    int.class, long.class, long.class, int.class, int.class, long.class, short.class, short.class,
                    int.class, long.class));
            submit = sqLookup.findVirtual(sqClass, "submit", MethodType.methodType(int.class))
                .asType(MethodType.methodType(int.class, Object.class));
            submitAndGet = sqLookup.findVirtual(sqClass, "submitAndGet0",
                MethodType.methodType(int.class, int.class))
                .asType(MethodType.methodType(int.class, Object.class, int.class));
            newEventFd = nativeLookup.findStatic(nativeClass, "newBlockingEventFd", MethodType.methodType(fdClass));
            eventFdWrite = nativeLookup.findStatic(nativeClass, "eventFdWrite",
                MethodType.methodType(void.class, int.class, long.class));
            cqHead = cqLookup.findVarHandle(cqClass, "khead", ByteBuffer.class);
            cqTail = cqLookup.findVarHandle(cqClass, "ktail", ByteBuffer.class);
            cqArray = cqLookup.findVarHandle(cqClass, "completionQueueArray", ByteBuffer.class);
            cqMask = cqLookup.findVarHandle(cqClass, "ringMask", int.class);
            cqEntryLength = cqLookup.findVarHandle(cqClass, "cqeLength", int.class);
        }
        catch (final Throwable t)
        {
            cause = t;
        }
        SETUP_FLAGS = setupFlags;
        CREATE = create;
        ENABLE = enable;
        CLOSE = close;
        RING_FD = ringFd;
        SUBMISSION_QUEUE = sq;
        COMPLETION_QUEUE = cq;
        ENQUEUE = enqueue;
        SUBMIT = submit;
        SUBMIT_AND_GET = submitAndGet;
        NEW_EVENT_FD = newEventFd;
        EVENT_FD_WRITE = eventFdWrite;
        CQ_HEAD = cqHead;
        CQ_TAIL = cqTail;
        CQ_ARRAY = cqArray;
        CQ_MASK = cqMask;
        CQ_ENTRY_LENGTH = cqEntryLength;
        UNAVAILABILITY_CAUSE = cause;
    }

    /**
     * Told of each completion, in the order the kernel posted them.
     */
    @FunctionalInterface
    public interface CompletionHandler
    {
        /**
         * @param userData what the operation was submitted with.
         * @param res      its result: bytes, or -errno.
         * @param flags    the completion's flags.
         */
        void onCompletion(long userData, int res, int flags);
    }

    private final Object ring;
    private final Object submissionQueue;
    private final ByteBuffer cqHead;
    private final ByteBuffer cqTail;
    private final ByteBuffer cqArray;
    private final int cqMask;
    private final int cqEntryLength;
    private int head;
    private boolean closed;

    private UringRing(final Object ring) throws Throwable
    {
        this.ring = ring;
        this.submissionQueue = SUBMISSION_QUEUE.invokeExact(ring);
        final Object cq = COMPLETION_QUEUE.invokeExact(ring);
        this.cqHead = (ByteBuffer)CQ_HEAD.get(cq);
        this.cqTail = (ByteBuffer)CQ_TAIL.get(cq);
        this.cqArray = (ByteBuffer)CQ_ARRAY.get(cq);
        this.cqMask = (int)CQ_MASK.get(cq);
        this.cqEntryLength = (int)CQ_ENTRY_LENGTH.get(cq);
        this.head = (int)INT.getVolatile(cqHead, 0);
    }

    /**
     * @return true when Netty's io_uring binding is usable here, as this class reaches it.
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
     * Set up a ring, disabled until {@link #enable()}.
     *
     * @param entries    submission queue entries (rounded up to a power of two by the kernel).
     * @param cqEntries completion queue entries, at least as many as operations in flight at once.
     * @return the ring.
     */
    public static UringRing open(final int entries, final int cqEntries)
    {
        if (UNAVAILABILITY_CAUSE != null)
        {
            throw new IllegalStateException("Netty's io_uring internals are unavailable", UNAVAILABILITY_CAUSE);
        }
        try
        {
            final int flags = ((int)SETUP_FLAGS.invokeExact(true) | IORING_SETUP_CQSIZE) & ~IORING_SETUP_CQE32;
            return new UringRing(CREATE.invokeExact(entries, cqEntries, flags));
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("cannot set up an io_uring", t);
        }
    }

    /**
     * Enable the ring; on the thread that will submit to it, before anything else.
     */
    public void enable()
    {
        try
        {
            ENABLE.invokeExact(ring);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("cannot enable the io_uring", t);
        }
    }

    /**
     * Queue one operation (submitted by the next {@link #submit()} or {@link #enter}; a full queue submits by itself).
     *
     * @param opcode   IORING_OP_*.
     * @param fd       the file descriptor, or -1.
     * @param offset   the {@code off} field (a timeout's completion count).
     * @param address  the {@code addr} field (a msghdr, a buffer, a timespec, a user_data to cancel).
     * @param length   the {@code len} field.
     * @param opFlags  the op's flags field (msg_flags, timeout_flags).
     * @param userData comes back with the completion.
     */
    public void enqueue(
        final byte opcode, final int fd, final long offset, final long address, final int length, final int opFlags,
        final long userData)
    {
        try
        {
            final long ignored = (long)ENQUEUE.invokeExact(submissionQueue, opcode, (byte)0, (short)0, fd, offset,
                address, length, opFlags, userData, (short)0, (short)0, 0, 0L);
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Submit what is queued, and run the deferred completions of waiting operations: never blocks.
     *
     * @return operations submitted, or -1 when the kernel refused (logged by the caller's error counter).
     */
    public int submitAndPoll()
    {
        return submitAndWait(0);
    }

    /**
     * Submit what is queued without asking for completions: one {@code io_uring_enter}, none when nothing is queued.
     *
     * @return operations submitted.
     */
    public int submit()
    {
        try
        {
            return (int)SUBMIT.invokeExact(submissionQueue);
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Submit what is queued and wait until at least {@code minComplete} completions are posted: one
     * {@code io_uring_enter}.
     *
     * @param minComplete completions to wait for; 0 not to wait.
     * @return operations submitted, or -1 when the kernel refused or a signal interrupted the wait.
     */
    public int submitAndWait(final int minComplete)
    {
        try
        {
            return (int)SUBMIT_AND_GET.invokeExact(submissionQueue, minComplete);
        }
        catch (final java.io.UncheckedIOException ex)
        {
            return -1;
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Hand every posted completion to the handler, in order, then tell the kernel they were read.
     *
     * @param handler told of each completion.
     * @return completions handled.
     */
    public int reap(final CompletionHandler handler)
    {
        int tail = (int)INT.getVolatile(cqTail, 0);
        int handled = 0;
        try
        {
            while (head != tail)
            {
                final int position = (head & cqMask) * cqEntryLength;
                final long userData = cqArray.getLong(position + CQE_USER_DATA);
                final int res = cqArray.getInt(position + CQE_RES);
                final int flags = cqArray.getInt(position + CQE_FLAGS);
                head += (flags & IORING_CQE_F_32) != 0 && cqEntryLength == CQE_SIZE ? 2 : 1;
                if ((flags & IORING_CQE_F_SKIP) == 0)
                {
                    handled++;
                    handler.onCompletion(userData, res, flags);
                }
                if (head == tail)
                {
                    tail = (int)INT.getVolatile(cqTail, 0);
                }
            }
        }
        finally
        {
            INT.setRelease(cqHead, 0, head);
        }
        return handled;
    }

    /**
     * @return whether completions are posted and not yet reaped.
     */
    public boolean hasCompletions()
    {
        return head != (int)INT.getVolatile(cqTail, 0);
    }

    /**
     * @return a new blocking eventfd, for a wake-up read kept in flight on the ring; the caller closes it.
     */
    public static io.netty.channel.unix.FileDescriptor newEventFd()
    {
        try
        {
            return (io.netty.channel.unix.FileDescriptor)NEW_EVENT_FD.invoke();
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /**
     * @param fd    an eventfd.
     * @param value added to its counter: wakes a read in flight on it.
     */
    public static void eventFdWrite(final int fd, final long value)
    {
        try
        {
            EVENT_FD_WRITE.invokeExact(fd, value);
        }
        catch (final RuntimeException | Error ex)
        {
            throw ex;
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    /**
     * @return the ring's file descriptor.
     */
    public int fd()
    {
        try
        {
            return (int)RING_FD.invokeExact(ring);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException(t);
        }
    }

    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            CLOSE.invokeExact(ring);
        }
        catch (final Throwable t)
        {
            throw new IllegalStateException("cannot close the io_uring", t);
        }
    }
}
