package io.overlaybd.testing;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The contract every fuzz target ({@code *Fuzz} classes, Jazzer {@code @FuzzTest}s) checks on one input: the code
 * under test either returns or throws an exception of the SDK's {@link IOException} family with a message, and it
 * does so in bounded time. Anything else escapes as a finding: an unchecked exception, an error (an
 * {@link OutOfMemoryError} under the small heap fuzz.sh runs with), a JDK {@code IOException} that the SDK let
 * through without naming its resource (e.g. a bare {@code MalformedInputException}), or an input slower than
 * {@link #MAX_MILLIS}. Targets that compare bytes (round trips) throw {@link AssertionError} themselves.
 *
 * <p>The SDK's family is: any {@code IOException} declared in an {@code io.overlaybd} package (FormatException,
 * ChecksumMismatchException, ConfigException, ...); the plain {@code IOException} / {@code EOFException} that the
 * SDK throws itself, whose messages name the device (a path or a {@code kind(...)} description) or the offset; and a
 * {@link FileSystemException} naming its file (a config naming a missing layer). Thread-safe (stateless).
 */
public final class FuzzContract {
    /** Time one input may take, generous for the instrumented fuzzing JVM; real hangs are far beyond it. */
    public static final long MAX_MILLIS = 10_000;

    /** Code under test that may throw anything. */
    @FunctionalInterface
    public interface Body {
        void run() throws Exception;
    }

    private FuzzContract() {
    }

    /**
     * Runs {@code body} on one input and enforces the contract.
     *
     * @param target what is fuzzed, for the failure message, e.g. {@code "ZFileDevice.open"}
     * @throws AssertionError for a contract violation (the cause is the escaped throwable)
     */
    public static void check(String target, Body body) {
        long start = System.nanoTime();
        try {
            body.run();
        } catch (IOException e) {
            if (!isSdkIoException(e)) {
                throw new AssertionError(target + ": " + e.getClass().getName() + " is not an SDK exception"
                        + " naming its resource: " + e.getMessage(), e);
            }
        } catch (AssertionError e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(target + ": " + t.getClass().getName() + " escaped: " + t.getMessage(), t);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        if (millis > MAX_MILLIS) {
            throw new AssertionError(target + ": one input took " + millis + " ms (limit " + MAX_MILLIS + ")");
        }
    }

    /** @return whether {@code e} belongs to the SDK's exception family (see the class javadoc). */
    public static boolean isSdkIoException(IOException e) {
        String message = e.getMessage();
        if (message == null || message.isBlank()) {
            return false;
        }
        Class<?> c = e.getClass();
        if (c.getName().startsWith("io.overlaybd.")) {
            return true;
        }
        if (e instanceof FileSystemException f) {
            return f.getFile() != null && !f.getFile().isBlank();
        }
        return (c == IOException.class || c == EOFException.class)
                && (message.contains("offset") || message.contains("/") || message.contains("("));
    }

    /** @return a fresh temporary folder for one fuzzing JVM, deleted at its exit. */
    public static Path tempDir(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes {@code dir} and everything in it, ignoring what cannot be deleted. */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort at exit
                }
            });
        } catch (IOException ignored) {
            // best effort at exit
        }
    }

    /** Deletes every entry of {@code dir} (not {@code dir} itself), so each input starts from an empty folder. */
    public static void emptyDir(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (Files.isDirectory(p)) {
                    deleteTree(p);
                } else {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
