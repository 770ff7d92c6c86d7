/** LSMT layers of OverlayBD (FORMAT.md §2-§5): indexes, sealed and writable layers, stacks, commit and merge. */
module io.overlaybd.lsmt {
    requires transitive io.overlaybd.core;
    exports io.overlaybd.lsmt;
}
