package io.overlaybd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.testing.InteropFixtures;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Runs the CLI in-process ({@link Main#run}) and captures what it prints. */
final class Cli {
    private Cli() {
    }

    /** What a run gave: exit code, stdout bytes, stderr text. */
    record Result(int code, byte[] out, String err) {
        String text() {
            return new String(out, StandardCharsets.UTF_8);
        }

        String sha256() {
            return Cli.sha256(out);
        }

        @Override
        public String toString() {
            return "exit " + code + ", stderr: " + err + (out.length < 4000 ? ", stdout: " + text() : "");
        }
    }

    static Result run(String... args) {
        return run(new byte[0], args);
    }

    static Result run(byte[] stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errStream = new PrintStream(err, true, StandardCharsets.UTF_8);
        int code = Main.run(args, new ByteArrayInputStream(stdin), out, errStream);
        return new Result(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    /** Runs with stdout going to {@code out} (for large outputs); returns exit code and stderr. */
    static Result run(OutputStream out, String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, InputStream.nullInputStream(), out, new PrintStream(err, true,
                StandardCharsets.UTF_8));
        return new Result(code, new byte[0], err.toString(StandardCharsets.UTF_8));
    }

    /** Asserts a clean success: exit 0 and nothing on stderr. */
    static Result ok(String... args) {
        Result r = run(args);
        assertThat(r.code()).as(String.join(" ", args) + ": " + r).isZero();
        assertThat(r.err()).as(String.join(" ", args)).isEmpty();
        return r;
    }

    /** Asserts a failure with the exit code and exactly one line on stderr without a stack trace. */
    static Result fails(int code, String... args) {
        Result r = run(args);
        assertThat(r.code()).as(String.join(" ", args) + ": " + r).isEqualTo(code);
        assertOneLine(r.err());
        return r;
    }

    static void assertOneLine(String err) {
        assertThat(err).endsWith(System.lineSeparator());
        assertThat(err.strip()).isNotEmpty().doesNotContain("\n").doesNotContain("\tat ").doesNotContain("Exception:");
    }

    static String fx(String fixture) {
        return InteropFixtures.path(fixture).toString();
    }

    /** A writable copy of a fixture in {@code dir}. */
    static Path copy(String fixture, Path dir) throws IOException {
        Path src = InteropFixtures.path(fixture);
        Path dst = dir.resolve(src.getFileName().toString());
        Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
        dst.toFile().setWritable(true);
        return dst;
    }

    static void flipBit(Path file, long offset, int bit) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ (1 << bit)));
            b.rewind();
            ch.write(b, offset);
        }
    }

    static String sha256(byte[] b) {
        return HexFormat.of().formatHex(sha().digest(b));
    }

    static String sha256(Path p) throws IOException {
        MessageDigest md = sha();
        try (InputStream in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** An output stream that hashes what it is given. */
    static final class HashingStream extends OutputStream {
        final MessageDigest md = sha();
        long count;

        @Override
        public void write(int b) {
            md.update((byte) b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            md.update(b, off, len);
            count += len;
        }

        String hex() {
            return HexFormat.of().formatHex(md.digest());
        }
    }
}
