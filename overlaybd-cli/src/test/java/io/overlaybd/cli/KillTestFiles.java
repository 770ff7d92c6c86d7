package io.overlaybd.cli;

import io.overlaybd.lsmt.CommitOptions;
import io.overlaybd.lsmt.CreateOptions;
import io.overlaybd.lsmt.WritableLayer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Inputs of the kill and disk-full tests, made with the SDK, and the checks both share. */
final class KillTestFiles {
    /** Size of the content file and of the layers (big enough that each command works for a while). */
    static final int SIZE = 48 << 20;

    final Path content;
    final Path data;
    final Path index;
    final Path base;
    final Path top;

    private KillTestFiles(Path dir) {
        content = dir.resolve("content.bin");
        data = dir.resolve("rw.data");
        index = dir.resolve("rw.index");
        base = dir.resolve("base.lsmt");
        top = dir.resolve("top.lsmt");
    }

    /** Writes the inputs into {@code dir}: a content file, a writable layer of it, and two sealed layers. */
    static KillTestFiles create(Path dir) throws IOException {
        KillTestFiles f = new KillTestFiles(dir);
        byte[] chunk = new byte[1 << 20];
        Random r = new Random(42);
        try (OutputStream out = Files.newOutputStream(f.content);
             WritableLayer w = WritableLayer.create(f.data, f.index, CreateOptions.ofSize(SIZE)
                     .withUuid(new UUID(1, 2)))) {
            for (int mb = 0; mb < SIZE >> 20; mb++) {
                fill(chunk, r, mb);
                out.write(chunk);
                w.write((long) mb << 20, chunk, 0, chunk.length);
            }
            w.discard(5L << 20, 1 << 20);
            w.flush();
            w.commit(f.base, CommitOptions.DEFAULTS);
        }
        Path td = dir.resolve("top.data");
        Path ti = dir.resolve("top.index");
        try (WritableLayer w = WritableLayer.create(td, ti, CreateOptions.ofSize(SIZE))) {
            for (int k = 0; k < 64; k++) {
                fill(chunk, r, k);
                w.write((long) r.nextInt(SIZE >> 16) << 16, chunk, 0, 64 << 10);
            }
            w.commit(f.top, CommitOptions.DEFAULTS);
        }
        Files.delete(td);
        Files.delete(ti);
        return f;
    }

    /** Text, zeros and noise by turns, so that compression has work of every kind. */
    private static void fill(byte[] chunk, Random r, int k) {
        for (int i = 0; i < chunk.length; i += 4096) {
            int kind = (i >> 12) + k;
            if (kind % 3 == 0) {
                byte[] noise = new byte[4096];
                r.nextBytes(noise);
                System.arraycopy(noise, 0, chunk, i, 4096);
            } else if (kind % 3 == 1) {
                java.util.Arrays.fill(chunk, i, i + 4096, (byte) 0);
            } else {
                for (int j = i; j < i + 4096; j++) {
                    chunk[j] = (byte) ("overlaybd kill test ".charAt(j % 20) + (k & 3));
                }
            }
        }
    }

    List<Path> all() {
        return List.of(content, data, index, base, top);
    }

    /** @return the sha256 of each input, to show afterwards that no command changed one. */
    Map<Path, String> hashes() throws IOException {
        Map<Path, String> m = new LinkedHashMap<>();
        for (Path p : all()) {
            m.put(p, Cli.sha256(p));
        }
        return m;
    }

    /** @return the names in {@code dir} other than {@code keep}. */
    static List<String> others(Path dir, List<Path> keep) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !keep.contains(p)).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Asserts that every name is a hidden temporary file of an output ({@code .NAME.HEX.tmp}), never a final name. */
    static void assertOnlyTemporaries(List<String> names, String finalName) {
        for (String n : names) {
            assertThat(n).as("a file a killed command left").matches("\\." + java.util.regex.Pattern.quote(finalName)
                    + "\\.[0-9a-f]+\\.tmp");
        }
    }
}
