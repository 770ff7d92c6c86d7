/**
 * The OverlayBD SDK core: the {@link io.overlaybd.core.RandomAccessBlockDevice} interface every format
 * decorates, its file, mapped-file, memory and slice implementations and stream/channel views, the checked format
 * exceptions, the raw CRC32C of the format, tar framing and atomic file output.
 * It depends on nothing outside the JDK.
 */
module io.overlaybd.core {
    // sun.misc.Unsafe.invokeCleaner, by reflection, so that a mapping is unmapped on close on Java 17 to 21; on the
    // module path the JDK resolves this module only when a module requires it
    requires jdk.unsupported;

    exports io.overlaybd.core;
}
