package io.overlaybd.core;

import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * Mappings that are unmapped on demand: Java 22's {@code FileChannel.map(mode, position, size, Arena)} with a shared
 * {@code Arena}, reached through method handles so that the SDK keeps Java 17 as its baseline (where this class
 * reports {@link #AVAILABLE} false and nothing here is called). Each mapped segment is used as a {@link ByteBuffer}
 * view, so the read path is plain Java 17 code; closing the arena unmaps every segment mapped in it at once. A thread
 * copying out of a view while the arena closes stops with an {@link IllegalStateException} (the JDK's shared-arena
 * close waits until no thread is inside an access of it), and later copies fail the same way, so a closed mapping is
 * never touched.
 */
final class ArenaMaps {
    /** Whether the running JDK has the API (Java 22 and later). */
    static final boolean AVAILABLE;
    private static final MethodHandle OF_SHARED; // () Object
    private static final MethodHandle MAP; // (FileChannel, MapMode, long, long, Object) Object
    private static final MethodHandle AS_BUFFER; // (Object) ByteBuffer
    private static final MethodHandle CLOSE; // (Object) void

    static {
        MethodHandle ofShared = null;
        MethodHandle map = null;
        MethodHandle asBuffer = null;
        MethodHandle close = null;
        if (Runtime.version().feature() >= 22) {
            try {
                Class<?> arena = Class.forName("java.lang.foreign.Arena");
                Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
                MethodHandles.Lookup l = MethodHandles.publicLookup();
                ofShared = l.findStatic(arena, "ofShared", MethodType.methodType(arena))
                        .asType(MethodType.methodType(Object.class));
                map = l.findVirtual(FileChannel.class, "map", MethodType.methodType(segment,
                                FileChannel.MapMode.class, long.class, long.class, arena))
                        .asType(MethodType.methodType(Object.class, FileChannel.class, FileChannel.MapMode.class,
                                long.class, long.class, Object.class));
                asBuffer = l.findVirtual(segment, "asByteBuffer", MethodType.methodType(ByteBuffer.class))
                        .asType(MethodType.methodType(ByteBuffer.class, Object.class));
                close = l.findVirtual(arena, "close", MethodType.methodType(void.class))
                        .asType(MethodType.methodType(void.class, Object.class));
            } catch (ReflectiveOperationException e) {
                ofShared = null;
            }
        }
        AVAILABLE = ofShared != null;
        OF_SHARED = ofShared;
        MAP = map;
        AS_BUFFER = asBuffer;
        CLOSE = close;
    }

    private ArenaMaps() {
    }

    /** @return a new shared arena (an {@code Arena}, typed {@code Object} for Java 17) */
    static Object newArena() {
        try {
            return (Object) OF_SHARED.invokeExact();
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("Arena.ofShared", e);
        }
    }

    /** Maps {@code [position, position + size)} of {@code channel} read-only into {@code arena}, as a buffer view. */
    static ByteBuffer mapReadOnly(FileChannel channel, long position, long size, Object arena) throws IOException {
        try {
            Object segment = (Object) MAP.invokeExact(channel, FileChannel.MapMode.READ_ONLY, position, size, arena);
            return (ByteBuffer) AS_BUFFER.invokeExact(segment);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IOException("FileChannel.map", e);
        }
    }

    /** Unmaps everything mapped into {@code arena}. */
    static void close(Object arena) {
        try {
            CLOSE.invokeExact(arena);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("Arena.close", e);
        }
    }
}
