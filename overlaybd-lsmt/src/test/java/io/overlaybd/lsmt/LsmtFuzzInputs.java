package io.overlaybd.lsmt;

import io.overlaybd.core.LittleEndian;
import io.overlaybd.testing.FuzzContract;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;

/**
 * Input layouts and seeds shared by this module's fuzz targets. A writable-layer input is a <em>pair</em>: a 4-byte
 * little-endian length L, then L bytes of index file, then the data file, then one options byte. A sealed-layer input
 * is the layer's bytes (the stack target appends one options byte). {@link #main} writes every seed folder.
 */
final class LsmtFuzzInputs {
    /** One folder per fuzzing JVM; each input's files are rewritten in it. */
    static final Path DIR = FuzzContract.tempDir("lsmt-fuzz");

    private LsmtFuzzInputs() {
    }

    /** The data and index files of a pair input, and its options byte. */
    record Pair(Path data, Path index, int opts) {
    }

    /** Writes the pair in {@code input} to {@code name}.data / {@code name}.index in {@link #DIR}. */
    static Pair writePair(byte[] input, String name) throws IOException {
        Path dir = DIR.resolve(name);
        Files.createDirectories(dir);
        FuzzContract.emptyDir(dir);
        int body = Math.max(0, input.length - 1);
        int opts = input.length > 0 ? input[input.length - 1] : 0;
        int indexLength = body >= 4 ? (int) Math.min(Integer.toUnsignedLong(LittleEndian.getInt(input, 0)), body - 4)
                : 0;
        int start = Math.min(4, body);
        Path index = dir.resolve("layer.index");
        Path data = dir.resolve("layer.data");
        Files.write(index, Arrays.copyOfRange(input, start, start + indexLength));
        Files.write(data, Arrays.copyOfRange(input, start + indexLength, body));
        return new Pair(data, index, opts);
    }

    static byte[] packPair(byte[] data, byte[] index, int opts) {
        byte[] out = new byte[4 + index.length + data.length + 1];
        LittleEndian.putInt(out, 0, index.length);
        System.arraycopy(index, 0, out, 4, index.length);
        System.arraycopy(data, 0, out, 4 + index.length, data.length);
        out[out.length - 1] = (byte) opts;
        return out;
    }

    /** @return byte offsets of up to 16 segment edges of {@code idx}: where reads cross from one piece to the next. */
    static long[] edges(SegmentIndex idx) {
        int n = Math.min(idx.size(), 8);
        long[] out = new long[2 * n];
        for (int i = 0; i < n; i++) {
            out[2 * i] = idx.offset(i) << 9;
            out[2 * i + 1] = idx.end(i) << 9;
        }
        return out;
    }

    /** Content that is neither all zero nor random: compressible text, zero sectors, noise. */
    static byte[] content(int length, long seed) {
        byte[] b = new byte[length];
        Random r = new Random(seed);
        for (int i = 0; i < length; i++) {
            int sector = i >> 9;
            b[i] = sector % 5 == 3 ? 0 : sector % 3 == 0 ? (byte) ('a' + i % 26) : (byte) r.nextInt();
        }
        return b;
    }

    /**
     * Builds a writable layer in {@code dir}/{@code name}.*: {@code virtualSize} bytes, {@code writes} random
     * writes of {@code content}'s bytes and a few discards, flushed and closed.
     */
    static void writable(Path dir, String name, long virtualSize, byte[] content, int writes, long seed)
            throws IOException {
        Random r = new Random(seed);
        try (WritableLayer w = WritableLayer.create(dir.resolve(name + ".data"), dir.resolve(name + ".index"),
                new CreateOptions(virtualSize, new UUID(seed, ~seed), null, "fuzz seed " + name))) {
            int sectors = content.length / 512;
            for (int k = 0; k < writes && sectors > 0; k++) {
                int s = r.nextInt(sectors);
                int len = 1 + r.nextInt((int) Math.min(virtualSize / 512, Math.min(16, sectors - s)));
                long at = Math.min(virtualSize / 512 - len, (long) s + (k % 3 == 0 ? virtualSize / 1024 : 0)) * 512;
                w.write(at, content, s * 512, len * 512);
                if (k % 4 == 3) {
                    long d = r.nextInt((int) Math.min(sectors, virtualSize / 512));
                    w.discard(d * 512, 512L * Math.min(1 + r.nextInt(4), virtualSize / 512 - d));
                }
            }
            w.flush();
        }
    }

    static byte[] commit(Path data, Path index) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        WritableLayer.commit(data, index, out, new CommitOptions(null, null, "fuzz seed"));
        return out.toByteArray();
    }

    /** The valid lower layer the stack target stacks fuzzed layers over: 64 KiB of {@link #content}. */
    static byte[] validLower() {
        try {
            Path dir = DIR.resolve("lower");
            Files.createDirectories(dir);
            FuzzContract.emptyDir(dir);
            byte[] content = content(64 << 10, 1);
            try (WritableLayer w = WritableLayer.create(dir.resolve("l.data"), dir.resolve("l.index"),
                    CreateOptions.ofSize(content.length))) {
                w.write(0, content, 0, content.length);
                w.discard(8 << 10, 4 << 10);
                w.flush();
            }
            return commit(dir.resolve("l.data"), dir.resolve("l.index"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Writes the seeds: {@code args[0]} is the test resources folder {@code .../io/overlaybd/lsmt}.
     */
    public static void main(String[] args) throws IOException {
        Path res = Path.of(args[0]);
        Path tmp = Files.createTempDirectory("lsmt-seeds");
        byte[] content = content(24 << 10, 7);
        writable(tmp, "small", 32 << 10, content, 12, 1);
        writable(tmp, "sparse", 1L << 30, content, 20, 2);
        writable(tmp, "empty", 4096, content, 0, 3);
        writable(tmp, "one", 512, content, 1, 4);
        writable(tmp, "huge", 1L << 58, content, 6, 5);
        String[] names = {"small", "sparse", "empty", "one", "huge"};
        for (String target : new String[] {"WritableLayerFuzzInputs/openDataAndIndex",
                "CommitRoundTripFuzz" + "Inputs/commitSealMerge"}) {
            Path dir = res.resolve(target);
            Files.createDirectories(dir);
            int opts = 0;
            for (String n : names) {
                byte[] data = Files.readAllBytes(tmp.resolve(n + ".data"));
                byte[] index = Files.readAllBytes(tmp.resolve(n + ".index"));
                Files.write(dir.resolve("seed-" + n), packPair(data, index, opts++));
            }
        }
        for (String target : new String[] {"LsmtLayerFuzzInputs/open", "LayerStackFuzzInputs/overValidLower"}) {
            Path dir = res.resolve(target);
            Files.createDirectories(dir);
            int opts = 0;
            for (String n : names) {
                byte[] sealed = commit(tmp.resolve(n + ".data"), tmp.resolve(n + ".index"));
                boolean stack = target.startsWith("LayerStack");
                Files.write(dir.resolve("seed-" + n), stack ? Arrays.copyOf(sealed, sealed.length + 1) : sealed);
                if (stack) {
                    byte[] b = Files.readAllBytes(dir.resolve("seed-" + n));
                    b[b.length - 1] = (byte) opts++;
                    Files.write(dir.resolve("seed-" + n), b);
                }
            }
        }
        FuzzContract.deleteTree(tmp);
    }
}
