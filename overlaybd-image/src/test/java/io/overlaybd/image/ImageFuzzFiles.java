package io.overlaybd.image;

import io.overlaybd.lsmt.CommitOptions;
import io.overlaybd.lsmt.CreateOptions;
import io.overlaybd.lsmt.WritableLayer;
import io.overlaybd.testing.FuzzContract;
import io.overlaybd.zfile.ZFileAlgorithm;
import io.overlaybd.zfile.ZFileWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Files shared by this module's fuzz targets: one temporary folder per fuzzing JVM holding valid layers that
 * configs can name ({@code base.lsmt}, {@code top.zfile}, {@code dir/overlaybd.commit}, {@code rw.data} +
 * {@code rw.index}), and fresh file names for fuzzed blobs (each input gets its own file, deleted afterwards, so that
 * a mapping of an earlier input is never truncated under it).
 */
final class ImageFuzzFiles {
    static final Path DIR = FuzzContract.tempDir("image-fuzz");
    private static final AtomicLong SEQ = new AtomicLong();

    static {
        try {
            makeLayers(DIR);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private ImageFuzzFiles() {
    }

    /** Writes the valid layers into {@code dir}. */
    static void makeLayers(Path dir) throws IOException {
        byte[] content = new byte[32 << 10];
        for (int i = 0; i < content.length; i++) {
            content[i] = (byte) ((i >> 9) % 4 == 1 ? 0 : 'A' + i % 23);
        }
        try (WritableLayer w = WritableLayer.create(dir.resolve("b.data"), dir.resolve("b.index"),
                CreateOptions.ofSize(content.length))) {
            w.write(0, content, 0, content.length);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            w.commit(out, CommitOptions.DEFAULTS);
            Files.write(dir.resolve("base.lsmt"), out.toByteArray());
        }
        try (WritableLayer w = WritableLayer.create(dir.resolve("t.data"), dir.resolve("t.index"),
                CreateOptions.ofSize(content.length))) {
            w.write(4096, content, 0, 8192);
            w.discard(16384, 4096);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            w.commit(out, CommitOptions.DEFAULTS);
            byte[] top = out.toByteArray();
            Files.write(dir.resolve("top.zfile"), ZFileWriter.builder().algorithm(ZFileAlgorithm.ZSTD).build()
                    .compress(top));
            Files.createDirectories(dir.resolve("dir"));
            Files.write(dir.resolve("dir/overlaybd.commit"), ZFileWriter.builder().tar(true).build().compress(top));
        }
        WritableLayer.create(dir.resolve("rw.data"), dir.resolve("rw.index"), CreateOptions.ofSize(0)).close();
    }

    /** @return a new file in {@link #DIR} holding {@code bytes[0..length)}. */
    static Path write(byte[] bytes, int length, String suffix) throws IOException {
        Path p = DIR.resolve("in" + SEQ.incrementAndGet() + suffix);
        try (var out = Files.newOutputStream(p)) {
            out.write(bytes, 0, length);
        }
        return p;
    }

    /**
     * Writes the seeds of BlobFuzz, ImageVerifierFuzz and ImageConfigFuzz: {@code args[0]} is the test resources
     * folder {@code .../io/overlaybd/image}, {@code args[1]} the interop fixtures.
     */
    public static void main(String[] args) throws IOException {
        Path res = Path.of(args[0]);
        Path fixtures = Path.of(args[1]);
        String[][] blobs = {{"base.lsmt", "0"}, {"top.zfile", "2"}, {"dir/overlaybd.commit", "3"},
                {"rw.index", "0"}};
        for (String target : new String[] {"BlobFuzzInputs/detect", "ImageVerifierFuzzInputs/verify"}) {
            Path dir = res.resolve(target);
            Files.createDirectories(dir);
            for (String[] b : blobs) {
                seed(dir, "seed-" + b[0].replace('/', '-'), Files.readAllBytes(DIR.resolve(b[0])),
                        Integer.parseInt(b[1]));
            }
            seed(dir, "seed-fixture-small-tar", Files.readAllBytes(fixtures.resolve("zfile/small.lz4.4k.crc.tar.zfile")),
                    1);
        }
        Path dir = res.resolve("ImageConfigFuzzInputs/readAndOpen");
        Files.createDirectories(dir);
        String[] configs = {
            "{\"lowers\": [{\"file\": \"base.lsmt\"}, {\"file\": \"top.zfile\"}], \"resultFile\": \"result.txt\"}",
            "{\"lowers\": [{\"file\": \"base.lsmt\", \"size\": 33792}, {\"dir\": \"dir/\"}],\n"
                    + " \"upper\": {\"data\": \"rw.data\", \"index\": \"rw.index\"}}",
            "{\"lowers\": [{\"file\": \"top.zfile\", \"digest\": \"sha256:"
                    + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}],"
                    + " \"accelerationLayer\": false, \"download\": {}}",
            "\uFEFF{\"upper\": {\"data\": \"rw.data\", \"index\": \"rw.index\", \"vsize\": 64}}",
        };
        for (int i = 0; i < configs.length; i++) {
            Files.writeString(dir.resolve("seed-config" + i), configs[i]);
        }
        Files.copy(fixtures.resolve("lsmt/config.json"), dir.resolve("seed-fixture-config"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(fixtures.resolve("lsmt/config-raw.json"), dir.resolve("seed-fixture-config-raw"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static void seed(Path dir, String name, byte[] blob, int opts) throws IOException {
        byte[] b = java.util.Arrays.copyOf(blob, blob.length + 1);
        b[blob.length] = (byte) opts;
        Files.write(dir.resolve(name), b);
    }
}
