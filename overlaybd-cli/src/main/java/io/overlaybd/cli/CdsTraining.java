package io.overlaybd.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The training run of the class-data-sharing archive that the build makes ({@code overlaybd-cli/target/overlaybd.jsa},
 * see the CLI pom): runs the commonly used commands once, in one JVM, on a small image it writes to a temporary folder,
 * and the registry commands against an in-memory loopback registry ({@link TrainingRegistry}), so that
 * {@code -XX:DumpLoadedClassList} lists the classes they load, which {@code -Xshare:dump} then archives (a static
 * archive: unlike a dynamic one it holds picocli's Java 5 class files). Not a command; nothing here is needed to use
 * the tool.
 */
public final class CdsTraining {
    private CdsTraining() {
    }

    /**
     * Runs the training commands; exits with 1 if one of them fails, so a broken archive is never made silently.
     *
     * @param args unused
     * @throws IOException if the temporary files cannot be written
     */
    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("overlaybd-cds-");
        try {
            Path in = dir.resolve("in.bin");
            byte[] data = new byte[256 << 10];
            Random r = new Random(7);
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) (i % 4096 < 2048 ? r.nextInt(4) : r.nextInt(256)); // half compressible
            }
            Files.write(in, data);
            String d = dir.toString() + "/";
            String[][] runs = {
                {"--version"},
                {"zfile", "compress", d + "in.bin", d + "in.lz4.zfile"},
                {"zfile", "compress", "--algorithm", "zstd", "--threads", "2", d + "in.bin", d + "in.zstd.zfile"},
                {"zfile", "check", d + "in.zstd.zfile"},
                {"zfile", "decompress", d + "in.lz4.zfile", d + "out.bin"},
                {"layer", "create", "--size", "64m", d + "l.data", d + "l.index"},
                {"layer", "write", "--offset", "1m", d + "l.data", d + "l.index", d + "in.bin"},
                {"layer", "commit", "-z", d + "l.data", d + "l.index", d + "l.zfile"},
                {"layer", "create", "--size", "64m", d + "u.data", d + "u.index"},
                {"layer", "write", "--offset", "0", d + "u.data", d + "u.index", d + "in.bin"},
                {"layer", "commit", d + "u.data", d + "u.index", d + "u.lsmt"},
                {"info", d + "l.zfile", d + "u.lsmt"},
                {"cat", "--offset", "1m", "--length", "64k", d + "l.zfile", d + "u.lsmt"},
                {"extents", d + "l.zfile", d + "u.lsmt"},
                {"verify", "--no-progress", d + "l.zfile", d + "u.lsmt"},
                {"merge", "-o", d + "merged.zfile", d + "l.zfile", d + "u.lsmt"},
            };
            PrintStream err = System.err;
            PrintStream nullErr = new PrintStream(OutputStream.nullOutputStream(), true);
            run(runs, d, err, nullErr);
            try (TrainingRegistry registry = TrainingRegistry.start()) {
                String ref = "docker://" + registry.host() + "/training/image:1";
                // explicit credentials: the build user's Docker config (and its credential helpers) stays unread
                String[] creds = {"--plain-http", "--username", "training", "--password-stdin"};
                String[][] remote = {
                    concat(new String[] {"push"}, creds, new String[] {d + "l.zfile", d + "u.lsmt", ref}),
                    concat(new String[] {"pull", "--no-progress", "--no-cache"}, creds, new String[] {ref,
                        d + "pulled"}),
                    concat(new String[] {"info", "--cache-dir", d + "cache"}, creds, new String[] {ref}),
                    concat(new String[] {"cat", "--offset", "1m", "--length", "64k", "--cache-dir", d + "cache"},
                        creds, new String[] {ref}),
                    concat(new String[] {"verify", "--no-progress", "--no-cache"}, creds, new String[] {ref}),
                };
                run(remote, d, err, nullErr);
            }
        } finally {
            deleteTree(dir);
        }
    }

    private static String[] concat(String[]... parts) {
        return Stream.of(parts).flatMap(Stream::of).toArray(String[]::new);
    }

    private static void run(String[][] runs, String d, PrintStream err, PrintStream nullErr) {
        for (String[] run : runs) {
            InputStream password = new ByteArrayInputStream("training\n".getBytes(StandardCharsets.UTF_8));
            int code = Main.run(run, password, OutputStream.nullOutputStream(), nullErr);
            // verify may report problems with this unchained pair of layers: what counts is that it ran
            boolean ran = code == Main.EXIT_OK || (run[0].equals("verify") && code == Main.EXIT_PROBLEMS);
            if (!ran) {
                err.println("overlaybd CDS training: '" + String.join(" ", run).replace(d, "") + "' exited with "
                        + code);
                System.exit(1);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
