package io.overlaybd.lsmt;

/**
 * Options for opening a sealed layer: the cap on index entries (default the reference's 1,000,000 for sealed
 * layers, FORMAT.md §3/§7.6; merged layers written by {@code overlaybd-merge} can exceed it, so raise it to
 * {@link LsmtFormat#MAX_RW_INDEX_ENTRIES} to open those). Immutable and thread-safe.
 *
 * @param maxIndexEntries the largest trailer {@code index_size} accepted (padding included)
 */
public record LayerOptions(long maxIndexEntries) {
    /** The defaults. */
    public static final LayerOptions DEFAULTS = new LayerOptions(LsmtFormat.MAX_SEALED_INDEX_ENTRIES);

    /**
     * @throws IllegalArgumentException if the cap is negative or above what one in-memory index holds (about
     *                                  1.07e9 entries), so that a file within the cap never fails to load for size
     */
    public LayerOptions {
        if (maxIndexEntries < 0 || maxIndexEntries > SegmentIndex.MAX_SIZE) {
            throw new IllegalArgumentException("maxIndexEntries " + maxIndexEntries);
        }
    }

    /** @return options with another cap. */
    public LayerOptions withMaxIndexEntries(long n) {
        return new LayerOptions(n);
    }
}
