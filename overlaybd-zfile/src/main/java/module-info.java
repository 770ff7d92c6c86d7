/** ZFile: the seekable block-compressed file of OverlayBD (FORMAT.md §1), as a device and a writer. */
module io.overlaybd.zfile {
    requires transitive io.overlaybd.core;
    requires org.lz4.java;
    requires com.github.luben.zstd_jni;
    exports io.overlaybd.zfile;
}
