package io.overlaybd.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.zfile.ZFileAlgorithm;
import io.overlaybd.zfile.ZFileWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link LayerImport} on random disks with zero runs, over random bases: the imported layer stacked on its lowers
 * reads as the disk, byte for byte, and stores no more than the changed blocks plus metadata.
 */
class LayerImportProperties {
    private static final int B = LayerImport.BLOCK;

    /** A disk of random runs: zeros, random bytes, or (with a base) the base's bytes; any multiple of 512. */
    static byte[] disk(Random rnd, int size, byte[] base) {
        byte[] d = new byte[size];
        for (int pos = 0; pos < size; ) {
            int run = Math.min(size - pos, 512 * (1 + rnd.nextInt(rnd.nextBoolean() ? 4 : 600)));
            switch (rnd.nextInt(base == null ? 2 : 3)) {
                case 0 -> { } // zeros
                case 1 -> {
                    for (int i = pos; i < pos + run; i++) {
                        d[i] = (byte) rnd.nextInt(rnd.nextBoolean() ? 256 : 3); // compressible and not
                    }
                }
                default -> {
                    if (pos < base.length) {
                        System.arraycopy(base, pos, d, pos, Math.min(run, base.length - pos));
                    }
                }
            }
            pos += run;
        }
        return d;
    }

    /** @return bytes of the 4 KiB blocks of {@code d} that differ from {@code lower} (zeros beyond its end). */
    static long changed(byte[] d, byte[] lower) {
        long n = 0;
        for (int off = 0; off < d.length; off += B) {
            int len = Math.min(B, d.length - off);
            for (int i = off; i < off + len; i++) {
                byte l = lower != null && i < lower.length ? lower[i] : 0;
                if (d[i] != l) {
                    n += len;
                    break;
                }
            }
        }
        return n;
    }

    static byte[] readAll(RandomAccessBlockDevice dev) throws IOException {
        byte[] b = new byte[Math.toIntExact(dev.size())];
        dev.readFully(0, b, 0, b.length);
        return b;
    }

    static LayerImport.Options options(Random rnd, int threads) {
        LayerImport.Options o = LayerImport.Options.DEFAULTS.withThreads(threads);
        return switch (rnd.nextInt(3)) {
            case 0 -> o;
            case 1 -> o.withRawTar(true);
            default -> o.withZFile(ZFileWriter.builder().algorithm(rnd.nextBoolean() ? ZFileAlgorithm.LZ4
                    : ZFileAlgorithm.ZSTD).blockSize(B << rnd.nextInt(3)).threads(threads).tar(rnd.nextBoolean())
                    .overwriteHeader(true).build());
        };
    }

    @Property(tries = 25)
    void importedLayerOnItsLowersIsTheDisk(@ForAll long seed, @ForAll @IntRange(min = 1, max = 3) int threads,
                                           @ForAll @IntRange(min = 0, max = 2) int mode) throws IOException {
        Random rnd = new Random(seed);
        Path dir = Files.createTempDirectory("import");
        try {
            int size = 512 * (1 + rnd.nextInt(6000)); // up to ~3 MiB: several 1 MiB chunks
            byte[] base = mode == 0 ? null : disk(rnd, 512 * (1 + rnd.nextInt(6000)), null);
            byte[] d = disk(rnd, size, base);
            Path diskFile = Files.write(dir.resolve("disk.img"), d);
            Path out = dir.resolve("layer");
            UUID parent = UUID.randomUUID();
            java.util.List<long[]> calls = new java.util.ArrayList<>();
            LayerImport.Options o = options(rnd, threads).withProgress((done, total) -> calls.add(new long[] {done,
                    total}));
            LayerImport.Result r;
            List<Path> stack;
            if (mode == 0) {
                r = LayerImport.importDisk(diskFile, out, o);
                assertThat(r.parentUuid()).isNull();
                stack = List.of(out);
            } else {
                Path baseFile = Files.write(dir.resolve("base.img"), base);
                Path baseLayer = dir.resolve("base.layer");
                LayerImport.Result rb = LayerImport.importDisk(baseFile, baseLayer, LayerImport.Options.DEFAULTS
                        .withUuid(parent));
                assertThat(rb.changedBytes()).isEqualTo(changed(base, null));
                if (mode == 1) {
                    r = LayerImport.importOnBase(diskFile, baseFile, out, o.withParentUuid(parent));
                } else {
                    r = LayerImport.importOnImage(diskFile, List.of(baseLayer), out, o); // parent: the top's uuid
                }
                assertThat(r.parentUuid()).isEqualTo(parent);
                stack = List.of(baseLayer, out);
            }
            try (Image image = Image.openLayers(stack)) {
                assertThat(image.device().size()).isEqualTo(size);
                assertThat(Arrays.equals(readAll(image.device()), d)).as("stacked layers == disk").isTrue();
                assertThat(image.blobs().get(image.blobs().size() - 1).layer().orElseThrow().uuid())
                        .isEqualTo(r.uuid());
            }
            // progress: once per 1 MiB chunk, in order, from the calling thread, ending at the disk's size
            assertThat(calls).hasSize((size + LayerImport.CHUNK - 1) / LayerImport.CHUNK);
            for (int i = 0; i < calls.size(); i++) {
                assertThat(calls.get(i)[1]).isEqualTo(size);
                assertThat(calls.get(i)[0]).isEqualTo(Math.min(size, (long) (i + 1) * LayerImport.CHUNK));
            }
            long changed = changed(d, base);
            assertThat(r.changedBytes()).isEqualTo(changed);
            assertThat(r.dataBytes() + r.zeroedBytes()).isEqualTo(changed);
            assertThat(r.diskBytes()).isEqualTo(size);
            if (mode == 0) {
                assertThat(r.zeroedBytes()).isZero(); // nothing below to hide
            }
            if (o.zfile() == null) {
                // header + data + index pages + trailer (+ tar framing): nothing but the changed blocks is stored
                long index = (r.segments() + 255) / 256 * 4096L;
                long tar = o.tar() ? 512 * 3 + 1024 + 511 : 0;
                assertThat(r.fileBytes()).isBetween(8192 + r.dataBytes() + index, 8192 + r.dataBytes() + index
                        + tar);
            }
            ImageVerifier v = ImageVerifier.create(1, true, null);
            VerifyReport report = v.verify(stack);
            assertThat(report.ok()).as(report.toString()).isTrue();
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }
}
