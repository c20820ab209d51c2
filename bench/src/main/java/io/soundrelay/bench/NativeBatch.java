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

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The bench-only JNI library of {@link SyscallBoundaryBenchmark} ({@code bench/native/srbench.c}, built by
 * {@code bench/native/build.sh}): one system call per call over a batch area the caller laid out off-heap, given by
 * its address. No JNI field or array access, no allocation; a failed call returns {@code -errno}.
 * <p>
 * The library is {@code bench/target/native/libsrbench.so} from the working directory, or the path in the system
 * property {@code soundrelay.bench.native}.
 */
final class NativeBatch
{
    /** The system property naming the library's path. */
    static final String LIBRARY_PROPERTY = "soundrelay.bench.native";

    private static final String DEFAULT_LIBRARY = "bench/target/native/libsrbench.so";

    private NativeBatch()
    {
    }

    /**
     * The library's absolute path; fails with how to build it when it is not there.
     *
     * @return the path.
     */
    static Path libraryPath()
    {
        final Path path = Path.of(System.getProperty(LIBRARY_PROPERTY, DEFAULT_LIBRARY)).toAbsolutePath();
        if (!Files.isRegularFile(path))
        {
            throw new IllegalStateException(path + " is missing: run bench/native/build.sh (JAVA_HOME a JDK) from " +
                "the repository root, or give -D" + LIBRARY_PROPERTY + "=PATH");
        }
        return path;
    }

    /** Loads the library into this JVM for the JNI methods; idempotent. */
    static void load()
    {
        System.load(libraryPath().toString());
    }

    /**
     * {@code recvmmsg(fd, msgvec, vlen, flags, NULL)}.
     *
     * @param fd     the socket.
     * @param msgvec the address of {@code vlen} {@code struct mmsghdr}.
     * @param vlen   how many.
     * @param flags  recvmmsg flags.
     * @return datagrams received, or {@code -errno}.
     */
    static native int recvmmsg(int fd, long msgvec, int vlen, int flags);

    /**
     * {@code sendmmsg(fd, msgvec, vlen, flags)}.
     *
     * @param fd     the socket.
     * @param msgvec the address of {@code vlen} {@code struct mmsghdr}.
     * @param vlen   how many.
     * @param flags  sendmmsg flags.
     * @return datagrams sent, or {@code -errno}.
     */
    static native int sendmmsg(int fd, long msgvec, int vlen, int flags);

    /**
     * {@code getpid()}: one cheap system call behind the JNI boundary.
     *
     * @return the process id.
     */
    static native int getpid();

    /**
     * Returns its argument: the JNI boundary alone.
     *
     * @param value any value.
     * @return {@code value}.
     */
    static native int noop(int value);
}
