package io.overlaybd.core;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Unmapping a {@link java.nio.MappedByteBuffer} on demand on Java 17 to 21, which have no shared {@code Arena}: the
 * JDK's {@code sun.misc.Unsafe.invokeCleaner} (module {@code jdk.unsupported}, present since Java 9), reached
 * reflectively so that nothing here is compiled against an internal API (plain reflection rather than a method
 * handle: it runs once per close, and spinning a handle would cost every short command milliseconds). Where it cannot
 * be reached ({@link #AVAILABLE} false) a mapping is released by the garbage collector, as before.
 *
 * <p>Touching a buffer after it is unmapped crashes the JVM, so the caller must make sure no thread can: see how
 * {@link MappedFileDevice} counts the reads in flight and waits for them before it calls {@link #unmap}.
 */
final class BufferUnmapper {
    /** Whether {@link #unmap} works on the running JDK. */
    static final boolean AVAILABLE;
    private static final Object UNSAFE;
    private static final Method CLEAN; // Unsafe.invokeCleaner(ByteBuffer)

    static {
        Object unsafe = null;
        Method clean = null;
        try {
            Class<?> type = Class.forName("sun.misc.Unsafe");
            Field the = type.getDeclaredField("theUnsafe");
            the.setAccessible(true);
            unsafe = the.get(null);
            clean = type.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // no sun.misc.Unsafe, or not accessible: AVAILABLE stays false
        }
        AVAILABLE = clean != null && unsafe != null;
        UNSAFE = unsafe;
        CLEAN = clean;
    }

    private BufferUnmapper() {
    }

    /** Unmaps {@code mapped}, a buffer returned by {@code FileChannel.map} (not a slice or duplicate of one). */
    static void unmap(ByteBuffer mapped) {
        try {
            CLEAN.invoke(UNSAFE, mapped);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("invokeCleaner", cause);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("invokeCleaner", e);
        }
    }
}
