package io.overlaybd.lsmt;

import io.overlaybd.core.AbstractBlockDevice;
import io.overlaybd.core.AtomicFileOutput;
import io.overlaybd.core.FormatException;
import io.overlaybd.core.RandomAccessBlockDevice;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A stack of 1 to 255 sealed layers (lowest first), optionally under a {@link WritableLayer}, seen as one device
 * (FORMAT.md §4). The read-only layers' indexes are merged once, top first (tag 0 = top); each read walks the merged
 * index and is split at segment edges: holes and zeroed ranges give zeros, data comes from the owning layer. With a
 * writable upper, its map is consulted first and its holes fall through to the merged index; writes and discards go
 * to the upper only, with the reference's log tag (the number of read-only layers).
 *
 * <p>Virtual size: the upper's if there is one (if that is 0 it is set to the lower stack's size, as the reference's
 * {@code update_vsize}); otherwise the size of the topmost read-only layer whose size is &gt; 0.
 *
 * <p>Thread-safety: the read-only part is immutable and safe for concurrent readers; with an upper, the upper's
 * lock serializes writes against reads (see {@link WritableLayer}).
 */
public final class LayerStack extends AbstractBlockDevice {
    private final List<LsmtLayer> layers;
    private final WritableLayer upper;
    private final SegmentIndex merged;
    private final RandomAccessBlockDevice[] byTag;
    private final long size;
    /** The size of the read-only layers alone (FORMAT.md §4): what a merge of them holds. */
    private final long lowerSize;
    private final boolean ownsLayers;

    private LayerStack(List<LsmtLayer> layers, WritableLayer upper, SegmentIndex merged, long size, long lowerSize,
                       boolean ownsLayers) {
        super(describe(layers, upper));
        this.layers = layers;
        this.upper = upper;
        this.merged = merged;
        this.size = size;
        this.lowerSize = lowerSize;
        this.ownsLayers = ownsLayers;
        int n = layers.size();
        this.byTag = new RandomAccessBlockDevice[n];
        for (int level = 0; level < n; level++) {
            byTag[level] = layers.get(n - 1 - level).blob();
        }
    }

    private static String describe(List<LsmtLayer> layers, WritableLayer upper) {
        int n = layers.size();
        String top = upper != null ? upper.description() : layers.get(n - 1).description();
        return "lsmt-stack(" + n + (n == 1 ? " layer" : " layers") + (upper != null ? " + rw" : "")
                + ", top " + top + ")";
    }

    /**
     * A read-only stack.
     *
     * @param lowestFirst 1 to 255 sealed layers, the bottom one first
     * @throws IllegalArgumentException for 0 or more than 255 layers, or a merged index above the cap
     * @throws FormatException          if the parent chain check is on and fails
     */
    public static LayerStack of(List<LsmtLayer> lowestFirst, StackOptions options) throws IOException {
        Objects.requireNonNull(lowestFirst, "lowestFirst");
        if (lowestFirst.isEmpty()) {
            throw new IllegalArgumentException("a read-only stack needs at least one layer");
        }
        return build(lowestFirst, null, options);
    }

    /**
     * A stack with a writable upper layer over 0 to 255 sealed layers.
     *
     * @throws IllegalArgumentException for more than 255 layers
     * @throws FormatException          if the parent chain check is on and fails
     */
    public static LayerStack of(List<LsmtLayer> lowestFirst, WritableLayer upper, StackOptions options)
            throws IOException {
        Objects.requireNonNull(lowestFirst, "lowestFirst");
        Objects.requireNonNull(upper, "upper");
        return build(lowestFirst, upper, options);
    }

    private static LayerStack build(List<LsmtLayer> lowestFirst, WritableLayer upper, StackOptions options)
            throws IOException {
        Objects.requireNonNull(options, "options");
        List<LsmtLayer> layers = Collections.unmodifiableList(new ArrayList<>(lowestFirst));
        int n = layers.size();
        if (n > LsmtFormat.MAX_STACK_LAYERS) {
            throw new IllegalArgumentException("cannot stack " + n + " read-only layers: the limit is "
                    + LsmtFormat.MAX_STACK_LAYERS + " (FORMAT.md §4)");
        }
        for (LsmtLayer l : layers) {
            Objects.requireNonNull(l, "layer");
        }
        if (options.checkParentChain()) {
            for (int i = 1; i < n; i++) {
                UUID parent = layers.get(i).parentUuid();
                UUID below = layers.get(i - 1).uuid();
                if (parent != null && below != null && !parent.equals(below)) {
                    LsmtLayer l = layers.get(i);
                    throw new FormatException(l.description(), "lsmt trailer",
                            l.blob().size() - LsmtFormat.HEADER_SIZE + 93, "layer " + i + " has parent uuid "
                            + LsmtHeader.format(parent) + " but the layer below it has uuid " + LsmtHeader.format(below));
                }
            }
        }
        List<SegmentIndex> topFirst = new ArrayList<>(n);
        for (int i = n - 1; i >= 0; i--) {
            topFirst.add(layers.get(i).index());
        }
        SegmentIndex merged = SegmentIndex.merge(topFirst, options.maxMergedEntries());
        long lowerSize = 0;
        for (int i = n - 1; i >= 0; i--) {
            if (layers.get(i).virtualSize() > 0) {
                lowerSize = layers.get(i).virtualSize();
                break;
            }
        }
        long size = lowerSize;
        if (upper != null) {
            if (upper.virtualSize() == 0 && lowerSize > 0 && !upper.isReadOnly()) {
                upper.setVirtualSize(lowerSize);
            }
            size = upper.virtualSize() != 0 ? upper.virtualSize() : lowerSize;
        }
        return new LayerStack(layers, upper, merged, size, lowerSize, options.ownsLayers());
    }

    /** @return the read-only layers, lowest first (unmodifiable). */
    public List<LsmtLayer> layers() {
        return layers;
    }

    /** @return the writable upper layer, or null. */
    public WritableLayer upper() {
        return upper;
    }

    /** @return the merged index of the read-only layers (tag = top-first level: 0 = the top read-only layer). */
    public SegmentIndex mergedIndex() {
        return merged;
    }

    /**
     * @return the index a reader sees now: the merged read-only index, overlaid with a snapshot of the upper's map
     * when there is one (then tag 0 = the upper, 1.. = the read-only layers top first)
     */
    public SegmentIndex effectiveIndex() {
        if (upper == null) {
            return merged;
        }
        List<SegmentIndex> topFirst = new ArrayList<>(layers.size() + 1);
        topFirst.add(upper.index());
        for (int i = layers.size() - 1; i >= 0; i--) {
            topFirst.add(layers.get(i).index());
        }
        return SegmentIndex.merge(topFirst);
    }

    /**
     * Writes to the upper layer (see {@link WritableLayer#write}); the log entries carry the number of read-only
     * layers as their tag, as the reference's stacked writable file does.
     *
     * @throws IllegalStateException if there is no upper layer
     */
    public void write(long position, byte[] src, int off, int len) throws IOException {
        requireUpper().write(position, src, off, len, layers.size());
    }

    /**
     * Discards in the upper layer (see {@link WritableLayer#discard}).
     *
     * @throws IllegalStateException if there is no upper layer
     */
    public void discard(long position, long length) throws IOException {
        requireUpper().discard(position, length, layers.size());
    }

    /** Forces the upper layer's files (see {@link WritableLayer#flush()}); nothing to do without one. */
    public void flush() throws IOException {
        if (upper != null) {
            upper.flush();
        }
    }

    private WritableLayer requireUpper() {
        if (upper == null) {
            throw new IllegalStateException(description() + " has no writable upper layer");
        }
        return upper;
    }

    /**
     * Merges the read-only layers into one sealed layer written sequentially to {@code out}, as
     * {@code overlaybd-merge} does (FORMAT.md §5 "Merge"): the merged index compacted, data copied from each
     * entry's layer, tags kept (top-first level). Header: the virtual size the read-only layers read as (the topmost
     * trailer size above 0; the reference takes the top layer's header field, which is the same value in every
     * layer it writes, but a layer whose header and trailer disagree would merge into a layer of another size than
     * the stack), UUID from the
     * options (else null), parent from the options (else the bottom layer's parent), user tag from the options (else
     * empty). The upper layer, if any, is not included. {@code out} is neither flushed nor closed.
     *
     * @return the number of bytes written
     */
    public long merge(OutputStream out, CommitOptions options) throws IOException {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(options, "options");
        ensureOpen();
        UUID parent = options.parentUuid() != null ? options.parentUuid() : layers.get(0).header().parentUuid();
        return SealedLayerWriter.write(out, lowerSize, options.uuid(), parent, options.userTag(),
                merged, byTag, true);
    }

    /**
     * Merges into a raw sealed layer file at {@code target}, written to a temporary file and renamed atomically.
     *
     * @return the number of bytes written
     */
    public long merge(Path target, CommitOptions options) throws IOException {
        try (AtomicFileOutput out = AtomicFileOutput.create(target)) {
            long n = merge(out.stream(), options);
            out.commit();
            return n;
        }
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    protected int readAt(long position, byte[] dst, int dstOffset, int n) throws IOException {
        if (upper == null) {
            IndexedReads.read(merged, byTag, position, dst, dstOffset, n);
        } else {
            upper.readThrough(position, dst, dstOffset, n, merged, byTag);
        }
        return n;
    }

    /** Closes the layers and the upper if the stack owns them. */
    @Override
    protected void closeResources() throws IOException {
        if (ownsLayers) {
            List<AutoCloseable> all = new ArrayList<>(layers);
            all.add(upper);
            closeAll(all);
        }
    }
}
