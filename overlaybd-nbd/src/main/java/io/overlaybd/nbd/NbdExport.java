package io.overlaybd.nbd;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.lsmt.LayerStack;
import io.overlaybd.lsmt.LsmtLayer;
import io.overlaybd.lsmt.SegmentIndex;
import io.overlaybd.lsmt.WritableLayer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One named export of an {@link NbdServer}: a device, read-only or writable into an LSMT writable layer. Immutable
 * and thread-safe; the server reads the device from many threads at once (devices of this SDK allow that). The export
 * does not own its device: closing the server leaves it open (a writable one is flushed).
 *
 * <p>When the device is an {@link LsmtLayer}, a {@link LayerStack} or a {@link WritableLayer}, its segment index
 * answers {@code NBD_CMD_BLOCK_STATUS} ({@code base:allocation}: holes are {@code HOLE|ZERO}, zeroed ranges
 * {@code ZERO}, data 0) and lets structured reads send holes as {@code NBD_REPLY_TYPE_OFFSET_HOLE}; any other
 * device is reported as data throughout.
 */
public final class NbdExport {
    private final String name;
    private final String description;
    private final RandomAccessBlockDevice device;
    private final Writer writer;
    private final Allocation allocation;
    private final RangeLock writeLock;

    /** Writes into the export: 512-aligned writes and discards, and a flush that makes them durable. */
    interface Writer {
        void write(long position, byte[] src, int off, int len) throws IOException;

        void discard(long position, long length) throws IOException;

        void flush() throws IOException;
    }

    /** The segment index behind the device now (a fresh snapshot when the device can change), or null. */
    interface Allocation {
        SegmentIndex index();
    }

    private NbdExport(String name, String description, RandomAccessBlockDevice device, Writer writer,
                      Allocation allocation) {
        this.name = checkString(Objects.requireNonNull(name, "name"), "export name");
        this.description = checkString(Objects.requireNonNull(description, "description"), "description");
        this.device = Objects.requireNonNull(device, "device");
        this.writer = writer;
        this.allocation = allocation;
        this.writeLock = new RangeLock();
    }

    private static String checkString(String s, String what) {
        if (s.getBytes(StandardCharsets.UTF_8).length > NbdProtocol.MAX_STRING || s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " must be at most 4096 UTF-8 bytes without NUL: " + s);
        }
        return s;
    }

    /**
     * A read-only export of {@code device}; writes are answered {@code EPERM}.
     *
     * @param name the export name clients ask for ({@code ""} is the default export)
     */
    public static NbdExport readOnly(String name, RandomAccessBlockDevice device) {
        return new NbdExport(name, device.description(), device, null, allocationOf(device));
    }

    /**
     * A writable export of a stack with a writable upper layer: writes, zero writes and trims go to the upper
     * layer ({@link LayerStack#write}, {@link LayerStack#discard}), flushes force it to disk.
     *
     * @throws IllegalArgumentException if the stack has no upper layer or its upper was opened read-only
     */
    public static NbdExport writable(String name, LayerStack stack) {
        WritableLayer upper = stack.upper();
        if (upper == null || upper.isReadOnly()) {
            throw new IllegalArgumentException(stack.description() + " has no writable upper layer");
        }
        Writer w = new Writer() {
            @Override
            public void write(long position, byte[] src, int off, int len) throws IOException {
                stack.write(position, src, off, len);
            }

            @Override
            public void discard(long position, long length) throws IOException {
                stack.discard(position, length);
            }

            @Override
            public void flush() throws IOException {
                stack.flush();
            }
        };
        return new NbdExport(name, stack.description(), stack, w, stack::effectiveIndex);
    }

    /**
     * A writable export of a writable layer alone.
     *
     * @throws IllegalArgumentException if the layer was opened read-only
     */
    public static NbdExport writable(String name, WritableLayer layer) {
        if (layer.isReadOnly()) {
            throw new IllegalArgumentException(layer.description() + " was opened read-only");
        }
        Writer w = new Writer() {
            @Override
            public void write(long position, byte[] src, int off, int len) throws IOException {
                layer.write(position, src, off, len);
            }

            @Override
            public void discard(long position, long length) throws IOException {
                layer.discard(position, length);
            }

            @Override
            public void flush() throws IOException {
                layer.flush();
            }
        };
        return new NbdExport(name, layer.description(), layer, w, layer::index);
    }

    /** An export over any writer (tests: a writer that checks alignment and is slow enough to race). */
    static NbdExport custom(String name, RandomAccessBlockDevice device, Writer writer) {
        return new NbdExport(name, device.description(), device, writer, null);
    }

    private static Allocation allocationOf(RandomAccessBlockDevice device) {
        if (device instanceof LsmtLayer) {
            SegmentIndex index = ((LsmtLayer) device).index();
            return () -> index;
        }
        if (device instanceof LayerStack) {
            LayerStack s = (LayerStack) device;
            if (s.upper() == null || s.upper().isReadOnly()) {
                SegmentIndex index = s.effectiveIndex(); // cannot change: compute once
                return () -> index;
            }
            return s::effectiveIndex;
        }
        if (device instanceof WritableLayer) {
            WritableLayer w = (WritableLayer) device;
            if (w.isReadOnly()) {
                SegmentIndex index = w.index();
                return () -> index;
            }
            return w::index;
        }
        return null;
    }

    /** @return a copy with {@code description} sent to clients that ask ({@code NBD_INFO_DESCRIPTION}). */
    public NbdExport withDescription(String description) {
        return new NbdExport(name, description, device, writer, allocation);
    }

    /** @return the export name. */
    public String name() {
        return name;
    }

    /** @return the description sent with {@code NBD_INFO_DESCRIPTION} (by default the device's). */
    public String description() {
        return description;
    }

    /** @return the exported device. */
    public RandomAccessBlockDevice device() {
        return device;
    }

    /** @return whether clients may write. */
    public boolean isWritable() {
        return writer != null;
    }

    /** @return the size in bytes. */
    public long size() {
        return device.size();
    }

    Writer writer() {
        return writer;
    }

    Allocation allocation() {
        return allocation;
    }

    /** Serializes writes to overlapping sectors, across all connections of all servers using this export. */
    RangeLock writeLock() {
        return writeLock;
    }

    @Override
    public String toString() {
        return "nbd-export(" + (name.isEmpty() ? "\"\"" : name) + ", " + device.description()
                + (writer != null ? ", writable" : ", read-only") + ")";
    }
}
