package io.overlaybd.core;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Little-endian field access in byte arrays. All OverlayBD integers are little-endian (FORMAT.md §0).
 * Offsets are not range-checked beyond the array bounds.
 */
public final class LittleEndian {
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private LittleEndian() {
    }

    public static int getInt(byte[] b, int off) {
        return (int) INT.get(b, off);
    }

    public static long getUnsignedInt(byte[] b, int off) {
        return getInt(b, off) & 0xFFFFFFFFL;
    }

    public static long getLong(byte[] b, int off) {
        return (long) LONG.get(b, off);
    }

    public static void putInt(byte[] b, int off, int v) {
        INT.set(b, off, v);
    }

    public static void putLong(byte[] b, int off, long v) {
        LONG.set(b, off, v);
    }
}
