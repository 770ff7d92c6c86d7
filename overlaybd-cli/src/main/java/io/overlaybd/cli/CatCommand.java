package io.overlaybd.cli;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.image.Image;
import java.io.IOException;
import java.io.OutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code overlaybd cat}: the bytes of an image's device to stdout. */
@Command(name = "cat", mixinStandardHelpOptions = true,
        footerHeading = "%nExamples:%n",
        footer = {"  overlaybd cat --offset 1m --length 512 layer1.zfile layer2.tar | xxd",
                "  overlaybd cat config.json > disk.img"},
        description = {"Write the bytes of an image's device to stdout.",
                "IMAGE is a config.json, or blob files lowest layer first: raw LSMT, ZFile or tar-wrapped, "
                        + "detected from their bytes. A single plain ZFile gives its decompressed content.",
                "Output stops quietly (exit 0) when the reader goes away, as with '| head'."})
final class CatCommand extends ImageCommand {
    @Option(names = "--offset", converter = SizeConverter.class, paramLabel = "N",
            description = "Start at this byte (k/m/g/t suffixes). Default: 0.")
    long offset;

    @Option(names = "--length", converter = SizeConverter.class, paramLabel = "N",
            description = "Write at most this many bytes. Default: to the end of the device.")
    Long length;

    @Mixin
    FileAccessOption access = new FileAccessOption();

    @Mixin
    RawOption raw = new RawOption();

    @Override
    int work() throws Exception {
        OutputStream out = Main.root(spec).stdout;
        try (Image image = openImage(access.access(), raw.raw)) {
            RandomAccessBlockDevice dev = image.device();
            long size = dev.size();
            if (offset > size) {
                throw new IllegalArgumentException("--offset " + offset + " is beyond the end of the device (size "
                        + size + ")");
            }
            long end = length == null ? size : offset + Math.min(length, size - offset);
            byte[] buf = new byte[1 << 20];
            try {
                for (long pos = offset; pos < end; ) {
                    int n = (int) Math.min(buf.length, end - pos);
                    dev.readFully(pos, buf, 0, n);
                    out.write(buf, 0, n);
                    pos += n;
                }
                out.flush();
            } catch (IOException e) {
                if (Main.isBrokenPipe(e)) {
                    return Main.EXIT_OK; // the reader has what it wanted ("| head")
                }
                throw e;
            }
        }
        return Main.EXIT_OK;
    }
}
