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
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A batch of {@code struct mmsghdr} for recvmmsg/sendmmsg laid out off-heap once (x86_64 Linux), as the data plane's
 * syscall layer would: the headers, then one {@code struct iovec} and one {@code struct sockaddr_in} per message,
 * then the datagram buffers. Every pointer is written at construction; per call only the lengths change.
 * <pre>
 *   struct mmsghdr (64 bytes)                 struct iovec (16 bytes)
 *   +0  msg_name        -> sockaddr_in        +0 iov_base -> buffer
 *   +8  msg_namelen     16                    +8 iov_len
 *   +16 msg_iov         -> iovec
 *   +24 msg_iovlen      1
 *   +32 msg_control     NULL
 *   +40 msg_controllen  0
 *   +48 msg_flags       (out)
 *   +56 msg_len         (out: bytes received or sent)
 * </pre>
 */
final class MmsgArea
{
    /** {@code sizeof(struct mmsghdr)}. */
    static final int MMSGHDR_BYTES = 64;
    /** {@code sizeof(struct iovec)}. */
    static final int IOVEC_BYTES = 16;

    private static final int MSG_NAME_OFFSET = 0;
    private static final int MSG_NAMELEN_OFFSET = 8;
    private static final int MSG_IOV_OFFSET = 16;
    private static final int MSG_IOVLEN_OFFSET = 24;
    private static final int MSG_LEN_OFFSET = 56;
    private static final int IOV_BASE_OFFSET = 0;
    private static final int IOV_LEN_OFFSET = 8;

    private final int count;
    private final int bufferBytes;
    private final MemorySegment headers;
    private final MemorySegment iovecs;
    private final MemorySegment names;
    private final MemorySegment buffers;
    private final long address;

    private MmsgArea(
        final Arena arena, final int count, final int bufferBytes, final MemorySegment buffers,
        final MemorySegment destination)
    {
        this.count = count;
        this.bufferBytes = bufferBytes;
        final MemorySegment area = arena.allocate((long)count * (MMSGHDR_BYTES + IOVEC_BYTES +
            LibcDowncalls.SOCKADDR_IN_BYTES), 64);
        headers = area.asSlice(0, (long)count * MMSGHDR_BYTES);
        iovecs = area.asSlice((long)count * MMSGHDR_BYTES, (long)count * IOVEC_BYTES);
        names = area.asSlice((long)count * (MMSGHDR_BYTES + IOVEC_BYTES));
        this.buffers = null != buffers ? buffers : arena.allocate((long)count * bufferBytes, 64);
        address = headers.address();
        for (int i = 0; i < count; i++)
        {
            final long hdr = (long)i * MMSGHDR_BYTES;
            final MemorySegment iov = iovecs.asSlice((long)i * IOVEC_BYTES, IOVEC_BYTES);
            final MemorySegment name = null != destination ? destination :
                names.asSlice((long)i * LibcDowncalls.SOCKADDR_IN_BYTES, LibcDowncalls.SOCKADDR_IN_BYTES);
            headers.set(ValueLayout.ADDRESS, hdr + MSG_NAME_OFFSET, name);
            headers.set(ValueLayout.JAVA_INT, hdr + MSG_NAMELEN_OFFSET, LibcDowncalls.SOCKADDR_IN_BYTES);
            headers.set(ValueLayout.ADDRESS, hdr + MSG_IOV_OFFSET, iov);
            headers.set(ValueLayout.JAVA_LONG, hdr + MSG_IOVLEN_OFFSET, 1L);
            iov.set(ValueLayout.ADDRESS, IOV_BASE_OFFSET, this.buffers.asSlice((long)i * bufferBytes, bufferBytes));
            iov.set(ValueLayout.JAVA_LONG, IOV_LEN_OFFSET, bufferBytes);
        }
    }

    /**
     * A receive batch: its own buffers of {@code bufferBytes} each, and its own sockaddr per message for the
     * sender's address.
     *
     * @param arena       where it lives.
     * @param count       messages.
     * @param bufferBytes bytes per buffer.
     * @return the batch.
     */
    static MmsgArea receive(final Arena arena, final int count, final int bufferBytes)
    {
        return new MmsgArea(arena, count, bufferBytes, null, null);
    }

    /**
     * A send batch over another batch's buffers (no copy: message i sends buffer i), every message to
     * {@code destination}.
     *
     * @param arena       where it lives.
     * @param source      whose buffers are sent.
     * @param destination a {@code sockaddr_in}.
     * @return the batch.
     */
    static MmsgArea sendFrom(final Arena arena, final MmsgArea source, final MemorySegment destination)
    {
        return new MmsgArea(arena, source.count, source.bufferBytes, source.buffers, destination);
    }

    /**
     * @return the address of the first {@code struct mmsghdr}.
     */
    long address()
    {
        return address;
    }

    /**
     * @return the headers, for the FFM downcalls.
     */
    MemorySegment headers()
    {
        return headers;
    }

    /**
     * @return messages.
     */
    int count()
    {
        return count;
    }

    /**
     * @return the datagram buffers, {@link #count()} of {@code bufferBytes} each.
     */
    MemorySegment buffers()
    {
        return buffers;
    }

    /**
     * @param i a message.
     * @return its {@code msg_len}: bytes received or sent by the last call.
     */
    int messageLength(final int i)
    {
        return headers.get(ValueLayout.JAVA_INT, (long)i * MMSGHDR_BYTES + MSG_LEN_OFFSET);
    }

    /**
     * @param i      a message.
     * @param length bytes the message's iovec covers.
     */
    void iovLength(final int i, final long length)
    {
        iovecs.set(ValueLayout.JAVA_LONG, (long)i * IOVEC_BYTES + IOV_LEN_OFFSET, length);
    }
}
