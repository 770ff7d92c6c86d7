/** OverlayBD images: config.json, blob detection (tar, ZFile, LSMT) and verification. */
module io.overlaybd.image {
    requires transitive io.overlaybd.core;
    requires transitive io.overlaybd.zfile;
    requires transitive io.overlaybd.lsmt;
    requires com.fasterxml.jackson.jr.ob;
    exports io.overlaybd.image;
}
