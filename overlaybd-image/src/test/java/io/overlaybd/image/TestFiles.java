package io.overlaybd.image;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.core.TarFormat;
import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/** File helpers for the image tests: fixture copies, bit flips, truncation, tar wrapping, hashing. */
final class TestFiles {
    private TestFiles() {
    }

    /** Copies a fixture (relative to the fixture folder) into {@code dir}, keeping its file name; writable copy. */
    static Path copy(String fixture, Path dir) throws IOException {
        Path src = InteropFixtures.path(fixture);
        return copyTo(src, dir.resolve(src.getFileName().toString()));
    }

    /** Copies a fixture to {@code target}; the copy is writable. */
    static Path copyAs(String fixture, Path target) throws IOException {
        return copyTo(InteropFixtures.path(fixture), target);
    }

    static Path copyTo(Path src, Path target) throws IOException {
        Files.createDirectories(target.toAbsolutePath().getParent());
        Files.copy(src, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        target.toFile().setWritable(true);
        return target;
    }

    /** Flips bit {@code bit} (0 = least significant) of the byte at {@code offset}. */
    static void flipBit(Path file, long offset, int bit) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            if (ch.read(b, offset) != 1) {
                throw new IOException("no byte at " + offset + " in " + file);
            }
            b.put(0, (byte) (b.get(0) ^ (1 << bit)));
            b.rewind();
            ch.write(b, offset);
        }
    }

    /** Overwrites bytes at {@code offset}. */
    static void patch(Path file, long offset, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b, offset + b.position());
            }
        }
    }

    /** @return {@code length} bytes at {@code offset}. */
    static byte[] read(Path file, long offset, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(length);
            while (b.hasRemaining()) {
                if (ch.read(b, offset + b.position()) < 0) {
                    throw new IOException("short file " + file);
                }
            }
            return b.array();
        }
    }

    static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    /** Writes {@code payload} wrapped in the reference's one-member tar ({@link TarFormat#wrapperHeader}). */
    static Path wrapTar(Path payload, Path out) throws IOException {
        long size = Files.size(payload);
        try (OutputStream o = Files.newOutputStream(out); InputStream in = Files.newInputStream(payload)) {
            o.write(TarFormat.wrapperHeader(size));
            in.transferTo(o);
            o.write(TarFormat.wrapperTrailer(size));
        }
        return out;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md = sha();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(sha().digest(bytes));
    }

    static String sha256(RandomAccessBlockDevice dev) throws IOException {
        return InteropFixtures.sha256(dev, 0, dev.size());
    }

    static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** @return the names of the files in {@code dir} (no recursion), sorted. */
    static List<String> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
