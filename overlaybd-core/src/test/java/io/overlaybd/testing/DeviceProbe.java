package io.overlaybd.testing;

import io.overlaybd.core.RandomAccessBlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Bounded reads of a device that fuzz targets run on whatever they managed to open: a window at the start, one at
 * the end and one in the middle of {@link RandomAccessBlockDevice#size()}, each read whole, again in pieces through
 * the array read and through a direct {@link ByteBuffer}; the three must agree (the same bytes whatever the read
 * path). A read at the end must return -1. The windows are small so that a huge virtual size costs nothing.
 */
public final class DeviceProbe {
    /** Bytes per window. */
    public static final int WINDOW = 16 << 10;

    private DeviceProbe() {
    }

    /**
     * Probes {@code device}; {@code seed} varies the piece sizes.
     *
     * @return the bytes of the first window (at most {@link #WINDOW} bytes), for targets that compare devices
     * @throws IOException    what the device throws for bad bytes
     * @throws AssertionError when the read paths disagree
     */
    public static byte[] probe(RandomAccessBlockDevice device, long seed) throws IOException {
        long size = device.size();
        if (size < 0) {
            throw new AssertionError(device.description() + ": negative size " + size);
        }
        byte[] first = window(device, 0, seed);
        window(device, Math.max(0, size - WINDOW), seed + 1);
        window(device, (size / 2) & -512L, seed + 2);
        byte[] one = new byte[1];
        if (device.read(size, one, 0, 1) != -1) {
            throw new AssertionError(device.description() + ": a read at the end (" + size + ") did not return -1");
        }
        return first;
    }

    /** Reads {@code [position, position + WINDOW)} (clipped to the size) three ways and compares them. */
    public static byte[] window(RandomAccessBlockDevice device, long position, long seed) throws IOException {
        long size = device.size();
        int n = (int) Math.min(WINDOW, size - position);
        if (n <= 0) {
            return new byte[0];
        }
        byte[] whole = new byte[n];
        device.readFully(position, whole, 0, n);
        byte[] pieces = new byte[n];
        int step = 1 + (int) Math.floorMod(seed * 0x9E3779B97F4A7C15L, 4099L);
        for (int done = 0; done < n; ) {
            int len = Math.min(step, n - done);
            int got = device.read(position + done, pieces, done, len);
            if (got <= 0) {
                throw new AssertionError(device.description() + ": read of " + len + " at " + (position + done)
                        + " inside size " + size + " returned " + got);
            }
            done += got;
        }
        compare(device, position, "array pieces", whole, pieces);
        ByteBuffer direct = ByteBuffer.allocateDirect(n);
        device.readFully(position, direct);
        byte[] viaBuffer = new byte[n];
        direct.flip().get(viaBuffer);
        compare(device, position, "direct buffer", whole, viaBuffer);
        return whole;
    }

    private static void compare(RandomAccessBlockDevice device, long position, String how, byte[] a, byte[] b) {
        int at = Arrays.mismatch(a, b);
        if (at >= 0) {
            throw new AssertionError(device.description() + ": reading by " + how + " gave other bytes at offset "
                    + (position + at));
        }
    }

    /**
     * Asserts that {@code actual} reads as {@code expected}: the same size, and the same bytes in every
     * {@link #window} at the start, the middle, the end and at each of {@code positions} (clipped; e.g. segment
     * edges), plus all bytes when the device is at most 1 MiB.
     *
     * @throws AssertionError naming both devices and the first differing offset
     */
    public static void assertSameBytes(RandomAccessBlockDevice expected, RandomAccessBlockDevice actual,
                                       long... positions) throws IOException {
        if (expected.size() != actual.size()) {
            throw new AssertionError(actual.description() + " has size " + actual.size() + ", expected "
                    + expected.size() + " as " + expected.description());
        }
        long size = expected.size();
        java.util.TreeSet<Long> at = new java.util.TreeSet<>();
        if (size <= (1 << 20)) {
            for (long p = 0; p < size; p += WINDOW) {
                at.add(p);
            }
        }
        at.add(0L);
        at.add(Math.max(0, size - WINDOW));
        at.add((size / 2) & -512L);
        for (long p : positions) {
            if (p >= 0 && p < size) {
                at.add(Math.max(0, p - WINDOW / 2));
            }
        }
        for (long p : at) {
            int n = (int) Math.min(WINDOW, size - p);
            if (n <= 0) {
                continue;
            }
            byte[] a = new byte[n];
            byte[] b = new byte[n];
            expected.readFully(p, a, 0, n);
            actual.readFully(p, b, 0, n);
            int i = Arrays.mismatch(a, b);
            if (i >= 0) {
                throw new AssertionError(actual.description() + " differs from " + expected.description()
                        + " at offset " + (p + i) + ": " + b[i] + " instead of " + a[i]);
            }
        }
    }
}
