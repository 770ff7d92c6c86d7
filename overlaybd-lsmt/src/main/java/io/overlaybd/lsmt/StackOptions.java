package io.overlaybd.lsmt;

/**
 * Options of a {@link LayerStack}. Immutable and thread-safe.
 *
 * @param checkParentChain whether each layer's parent UUID must equal the UUID of the layer below it (nulls skipped;
 *                         the reference's {@code check_order}, off by default as in the image service)
 * @param ownsLayers       whether closing the stack closes its layers (and the writable upper)
 * @param maxMergedEntries cap on the merged index (default the reference's 128e6)
 */
public record StackOptions(boolean checkParentChain, boolean ownsLayers, long maxMergedEntries) {
    /** No chain check, layers not owned, the reference's cap. */
    public static final StackOptions DEFAULTS = new StackOptions(false, false, LsmtFormat.MAX_RW_INDEX_ENTRIES);

    /** @throws IllegalArgumentException for a negative cap */
    public StackOptions {
        if (maxMergedEntries < 0) {
            throw new IllegalArgumentException("maxMergedEntries " + maxMergedEntries);
        }
    }

    /** @return a copy with the parent chain check on or off. */
    public StackOptions withCheckParentChain(boolean check) {
        return new StackOptions(check, ownsLayers, maxMergedEntries);
    }

    /** @return a copy that does or does not own its layers. */
    public StackOptions withOwnsLayers(boolean owns) {
        return new StackOptions(checkParentChain, owns, maxMergedEntries);
    }

    /** @return a copy with another merged-index cap. */
    public StackOptions withMaxMergedEntries(long max) {
        return new StackOptions(checkParentChain, ownsLayers, max);
    }
}
