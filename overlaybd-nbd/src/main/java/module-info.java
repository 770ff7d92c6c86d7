/** An NBD server (NetworkBlockDevice/nbd doc/proto.md) exporting devices of this SDK over Unix or TCP sockets. */
module io.overlaybd.nbd {
    requires transitive io.overlaybd.lsmt;
    exports io.overlaybd.nbd;
}
