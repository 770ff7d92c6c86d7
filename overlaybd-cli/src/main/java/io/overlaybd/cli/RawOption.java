package io.overlaybd.cli;

import picocli.CommandLine.Option;

/**
 * {@code --raw-input}: read a single plain file (no ZFile, LSMT or tar magic at its start) as raw bytes instead of
 * refusing it as "not an OverlayBD layer". Off by default, so a wrong file is never taken for an image by accident.
 */
final class RawOption {
    @Option(names = "--raw-input", description = "Read a single plain file (a disk image, no OverlayBD magic) as raw "
            + "bytes instead of refusing it.")
    boolean raw;
}
