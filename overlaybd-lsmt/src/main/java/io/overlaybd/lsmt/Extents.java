package io.overlaybd.lsmt;

import io.overlaybd.core.RandomAccessBlockDevice;
import java.util.ArrayList;
import java.util.List;

/**
 * Lists what backs each byte range of a layer, a stack or a writable layer, like {@code SEEK_DATA}/{@code SEEK_HOLE}
 * with discards told apart: a list of {@link Extent}s that covers {@code [0, size)} in order, adjacent extents of the
 * same kind coalesced. Stateless and thread-safe.
 */
public final class Extents {
    private Extents() {
    }

    /**
     * @param device an {@link LsmtLayer}, a {@link LayerStack} or a {@link WritableLayer}
     * @return the extents covering {@code [0, device.size())}
     * @throws IllegalArgumentException for any other device
     */
    public static List<Extent> of(RandomAccessBlockDevice device) {
        return of(indexOf(device), device.size());
    }

    /** @return whether {@link #of(RandomAccessBlockDevice)} accepts this device. */
    public static boolean isSupported(RandomAccessBlockDevice device) {
        return device instanceof LsmtLayer || device instanceof LayerStack || device instanceof WritableLayer;
    }

    static SegmentIndex indexOf(RandomAccessBlockDevice device) {
        if (device instanceof LsmtLayer) {
            return ((LsmtLayer) device).index();
        }
        if (device instanceof LayerStack) {
            return ((LayerStack) device).effectiveIndex();
        }
        if (device instanceof WritableLayer) {
            return ((WritableLayer) device).index();
        }
        throw new IllegalArgumentException("no segment index behind " + device.description());
    }

    /** @return the extents of a device of {@code size} bytes whose index is {@code index}. */
    public static List<Extent> of(SegmentIndex index, long size) {
        List<Extent> out = new ArrayList<>();
        long cur = 0;
        for (int i = 0, n = index.size(); i < n && cur < size; i++) {
            long s = index.offset(i) << LsmtFormat.SECTOR_SHIFT;
            if (s >= size) {
                break;
            }
            long e = Math.min(index.end(i) << LsmtFormat.SECTOR_SHIFT, size);
            if (s > cur) {
                add(out, cur, s - cur, Extent.Kind.HOLE);
            }
            add(out, s, e - s, index.zeroed(i) ? Extent.Kind.ZEROED : Extent.Kind.DATA);
            cur = e;
        }
        if (cur < size) {
            add(out, cur, size - cur, Extent.Kind.HOLE);
        }
        return out;
    }

    private static void add(List<Extent> out, long offset, long length, Extent.Kind kind) {
        if (length <= 0) {
            return;
        }
        if (!out.isEmpty()) {
            Extent last = out.get(out.size() - 1);
            if (last.kind() == kind && last.end() == offset) {
                out.set(out.size() - 1, new Extent(last.offset(), last.length() + length, kind));
                return;
            }
        }
        out.add(new Extent(offset, length, kind));
    }

    /** @return the total bytes of the extents of {@code kind}. */
    public static long total(List<Extent> extents, Extent.Kind kind) {
        long n = 0;
        for (Extent e : extents) {
            if (e.kind() == kind) {
                n += e.length();
            }
        }
        return n;
    }
}
