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

import io.netty.channel.epoll.Epoll;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Array;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;

/**
 * The one place that reaches into Netty's native epoll binding: its package-private {@code Native} class and the
 * JNI message structs of {@code NativeDatagramPacketArray}, bound once through {@code privateLookupIn}. The batch
 * sender and the recvmmsg receiver use these handles; if Netty's internals ever change, {@link #isAvailable()} is
 * false and both fall back to Netty's public paths.
 */
public final class NettyEpollInternals
{
    private static final String PACKET_ARRAY = "io.netty.channel.epoll.NativeDatagramPacketArray";

    private static final Class<?> NATIVE_CLASS;
    private static final Class<?> PACKET_CLASS;
    private static final Class<?> PACKET_ARRAY_TYPE;
    private static final MethodHandles.Lookup NATIVE_LOOKUP;
    private static final MethodHandles.Lookup PACKET_LOOKUP;
    private static final Constructor<?> PACKET_ARRAY_CONSTRUCTOR;
    private static final Field PACKETS;
    private static final Throwable UNAVAILABILITY_CAUSE;

    static
    {
        Class<?> nativeClass = null;
        Class<?> packetClass = null;
        Class<?> packetArrayType = null;
        MethodHandles.Lookup nativeLookup = null;
        MethodHandles.Lookup packetLookup = null;
        Constructor<?> arrayConstructor = null;
        Field packets = null;
        Throwable cause = null;
        try
        {
            Epoll.ensureAvailability();
            nativeClass = Class.forName("io.netty.channel.epoll.Native");
            final Class<?> arrayClass = Class.forName(PACKET_ARRAY);
            packetClass = Class.forName(PACKET_ARRAY + "$NativeDatagramPacket");
            packetArrayType = Array.newInstance(packetClass, 0).getClass();
            nativeLookup = MethodHandles.privateLookupIn(nativeClass, MethodHandles.lookup());
            packetLookup = MethodHandles.privateLookupIn(packetClass, MethodHandles.lookup());
            arrayConstructor = arrayClass.getDeclaredConstructor();
            arrayConstructor.setAccessible(true);
            packets = arrayClass.getDeclaredField("packets");
            packets.setAccessible(true);
        }
        catch (final Throwable t)
        {
            cause = t;
        }
        NATIVE_CLASS = nativeClass;
        PACKET_CLASS = packetClass;
        PACKET_ARRAY_TYPE = packetArrayType;
        NATIVE_LOOKUP = nativeLookup;
        PACKET_LOOKUP = packetLookup;
        PACKET_ARRAY_CONSTRUCTOR = arrayConstructor;
        PACKETS = packets;
        UNAVAILABILITY_CAUSE = cause;
    }

    private NettyEpollInternals()
    {
    }

    /**
     * @return true when Netty's native epoll binding and its message structs are as expected.
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
     * A batch call of {@code Native}, such as {@code sendmmsg0} or {@code recvmmsg0}
     * {@code (int fd, boolean ipv6, NativeDatagramPacket[] msgs, int offset, int len)}, typed to take the
     * {@code Object[]} that {@link #newPackets()} returns.
     *
     * @param name the static native method.
     * @return its handle, {@code (int, boolean, Object[], int, int) -> int}.
     * @throws ReflectiveOperationException when Netty has no such method.
     */
    public static MethodHandle packetBatchCall(final String name) throws ReflectiveOperationException
    {
        requireAvailable();
        return NATIVE_LOOKUP.findStatic(NATIVE_CLASS, name, MethodType.methodType(
            int.class, int.class, boolean.class, PACKET_ARRAY_TYPE, int.class, int.class))
            .asType(MethodType.methodType(int.class, int.class, boolean.class, Object[].class, int.class, int.class));
    }

    /**
     * @return a lookup with private access to Netty's {@code Native} class, for its other package-private calls.
     */
    public static MethodHandles.Lookup nativeLookup()
    {
        requireAvailable();
        return NATIVE_LOOKUP;
    }

    /**
     * @return Netty's {@code Native} class.
     */
    public static Class<?> nativeClass()
    {
        requireAvailable();
        return NATIVE_CLASS;
    }

    /**
     * @param name a field of {@code NativeDatagramPacket}.
     * @param type its type.
     * @return a handle on it.
     * @throws ReflectiveOperationException when Netty has no such field.
     */
    public static VarHandle packetField(final String name, final Class<?> type) throws ReflectiveOperationException
    {
        requireAvailable();
        return PACKET_LOOKUP.findVarHandle(PACKET_CLASS, name, type);
    }

    /**
     * @param packet a {@code NativeDatagramPacket}.
     * @param name   one of its final array fields (the preallocated address arrays).
     * @return the array, read once so the hot path writes into it directly.
     * @throws ReflectiveOperationException when Netty has no such field.
     */
    public static byte[] packetBytes(final Object packet, final String name) throws ReflectiveOperationException
    {
        requireAvailable();
        final Field field = PACKET_CLASS.getDeclaredField(name);
        field.setAccessible(true);
        return (byte[])field.get(packet);
    }

    /**
     * @return Netty's preallocated JNI message structs ({@code UIO_MAX_IOV} of them), as the native batch calls
     * take them.
     * @throws ReflectiveOperationException when they cannot be made.
     */
    public static Object[] newPackets() throws ReflectiveOperationException
    {
        requireAvailable();
        return (Object[])PACKETS.get(PACKET_ARRAY_CONSTRUCTOR.newInstance());
    }

    private static void requireAvailable()
    {
        if (UNAVAILABILITY_CAUSE != null)
        {
            throw new IllegalStateException("Netty's native epoll internals are unavailable", UNAVAILABILITY_CAUSE);
        }
    }
}
