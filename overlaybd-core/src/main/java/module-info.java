/**
 * The OverlayBD SDK core: the {@link io.overlaybd.core.RandomAccessBlockDevice} interface every format
 * decorates, its file, mapped-file, memory and slice implementations and stream/channel views, the checked format
 * exceptions, the raw CRC32C of the format, tar framing and atomic file output.
 * It has no runtime dependency.
 */
module io.overlaybd.core {
    exports io.overlaybd.core;
}
