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
/*
 * Bench-only JNI library (not part of the node): the "small C library of the project's own behind JNI" candidate of
 * issue 31, measured by io.soundrelay.bench.SyscallBoundaryBenchmark against java.lang.foreign downcalls.
 *
 * The Java side lays out the mmsghdr/iovec/sockaddr area off-heap once and passes its address and a count: each call
 * is one system call, no JNI field or array access, no allocation. A failed call returns -errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <jni.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

JNIEXPORT jint JNICALL Java_io_soundrelay_bench_NativeBatch_recvmmsg(
    JNIEnv *env, jclass cls, jint fd, jlong msgvec, jint vlen, jint flags)
{
    (void)env;
    (void)cls;
    const int n = recvmmsg(fd, (struct mmsghdr *)(uintptr_t)msgvec, (unsigned int)vlen, flags, NULL);
    return n < 0 ? -errno : n;
}

JNIEXPORT jint JNICALL Java_io_soundrelay_bench_NativeBatch_sendmmsg(
    JNIEnv *env, jclass cls, jint fd, jlong msgvec, jint vlen, jint flags)
{
    (void)env;
    (void)cls;
    const int n = sendmmsg(fd, (struct mmsghdr *)(uintptr_t)msgvec, (unsigned int)vlen, flags);
    return n < 0 ? -errno : n;
}

JNIEXPORT jint JNICALL Java_io_soundrelay_bench_NativeBatch_getpid(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    return (jint)getpid();
}

JNIEXPORT jint JNICALL Java_io_soundrelay_bench_NativeBatch_noop(JNIEnv *env, jclass cls, jint value)
{
    (void)env;
    (void)cls;
    return value;
}

/* The same no-op as a plain C function, for the FFM downcalls: the boundary alone, no system call. */
int srbench_noop(int value)
{
    return value;
}
