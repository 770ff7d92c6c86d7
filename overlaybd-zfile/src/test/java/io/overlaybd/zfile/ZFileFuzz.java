package io.overlaybd.zfile;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.overlaybd.core.MemoryDevice;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.core.TarFormat;
import io.overlaybd.testing.DeviceProbe;
import io.overlaybd.testing.FuzzContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;

/**
 * Fuzz target: {@link ZFileDevice#open} (or {@link ZFileDevice#openFromTrailer}) on arbitrary bytes, then bounded
 * reads through every read path ({@link DeviceProbe}) and a check of up to 64 blocks. The contract is
 * {@link FuzzContract}: only the SDK's IOException family, bounded time, no wrong bytes between read paths.
 *
 * <p>Input layout: the file's bytes, then one options byte (bit 0: CRC checks off, bit 1: open from the trailer,
 * bit 2: a one-block cache, bit 3: strip a tar wrapper first as Blob detection does). Regression inputs (seeds and
 * every finding) are in {@code src/test/resources/io/overlaybd/zfile/ZFileFuzzInputs/openAndRead}; {@link #main}
 * regenerates the seeds. {@code ./fuzz.sh ZFileFuzz 10m} fuzzes it.
 */
class ZFileFuzz {

    @FuzzTest
    void openAndRead(byte[] input) {
        FuzzContract.check("ZFileDevice.open + read", () -> run(input));
    }

    static void run(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        int opts = input[input.length - 1];
        MemoryDevice file = MemoryDevice.wrap(input, 0, input.length - 1, "fuzz.zfile");
        RandomAccessBlockDevice source = file;
        if ((opts & 8) != 0) {
            Optional<TarFormat.Member> m = TarFormat.firstFile(file);
            if (m.isPresent()) {
                TarFormat.Member mem = m.get();
                if (mem.payloadOffset() < 0 || mem.payloadSize() < 0
                        || mem.payloadOffset() + mem.payloadSize() > file.size()) {
                    throw new AssertionError("tar member outside the file: " + mem);
                }
                source = MemoryDevice.wrap(input, (int) mem.payloadOffset(), (int) mem.payloadSize(), "fuzz.tar");
            }
        }
        ZFileDevice.Options o = ZFileDevice.Options.defaults().verifyCrc((opts & 1) == 0)
                .cacheBlocks((opts & 4) != 0 ? 1 : 0);
        try (ZFileDevice z = (opts & 2) != 0 ? ZFileDevice.openFromTrailer(source, o, false)
                : ZFileDevice.open(source, o, false)) {
            IOException readFailure = null;
            try {
                DeviceProbe.probe(z, opts);
            } catch (IOException e) {
                readFailure = e; // bad blocks: the check below must find a failure too
            }
            int blocks = Math.min(z.blockCount(), 64);
            int[] bad = {0};
            z.checkBlocks(0, blocks, (b, failure) -> bad[0] += failure != null ? 1 : 0);
            if (readFailure != null && !FuzzContract.isSdkIoException(readFailure)) {
                throw readFailure;
            }
        }
    }

    /** Writes the seed inputs into {@code args[0]} (the inputs folder); {@code args[1]} the interop fixtures. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        byte[] content = new byte[9000];
        byte[] text = "overlaybd zfile fuzz seed; some repetitive text compresses ".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < content.length; i++) {
            content[i] = i < 6000 ? text[i % text.length] : (byte) (i * 31 ^ i >> 3);
        }
        int opts = 0;
        for (ZFileAlgorithm a : ZFileAlgorithm.values()) {
            for (boolean crc : new boolean[] {true, false}) {
                ZFileWriter w = ZFileWriter.builder().algorithm(a).blockSize(4096).blockCrc(crc).build();
                seed(dir, "seed-" + a + (crc ? "-crc" : "-nocrc"), w.compress(content), opts);
                opts = (opts + 2) & 6; // the next seed opens from the trailer, with a cache, ...
            }
        }
        seed(dir, "seed-overwrite-header", ZFileWriter.builder().overwriteHeader(true).build().compress(content), 0);
        seed(dir, "seed-tar", ZFileWriter.builder().tar(true).build().compress(content), 8);
        seed(dir, "seed-empty", ZFileWriter.builder().build().compress(new byte[0]), 0);
        seed(dir, "seed-one-byte", ZFileWriter.builder().algorithm(ZFileAlgorithm.ZSTD).build()
                .compress(new byte[] {7}), 2);
        if (args.length > 1) {
            seed(dir, "seed-fixture-small-tar", Files.readAllBytes(Path.of(args[1], "zfile/small.lz4.4k.crc.tar.zfile")),
                    8);
        }
    }

    private static void seed(Path dir, String name, byte[] zfile, int opts) throws IOException {
        byte[] b = Arrays.copyOf(zfile, zfile.length + 1);
        b[zfile.length] = (byte) opts;
        Files.write(dir.resolve(name), b);
    }
}
