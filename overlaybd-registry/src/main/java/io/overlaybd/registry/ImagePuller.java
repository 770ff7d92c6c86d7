package io.overlaybd.registry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Downloads an OverlayBD image into a folder so that every command then works offline on {@code DIR/config.json}:
 * the layer blobs (in parallel, each in one streamed GET, resumable from a {@code .partial} file, each checked against its
 * sha256), the image config blob, {@code manifest.json} (the exact manifest bytes) and an overlaybd
 * {@code config.json} whose {@code lowers} name the blob files with their digest and size. Layout:
 * {@code DIR/blobs/sha256/HEX}. Immutable; {@link #pull} may run concurrently for different folders.
 */
public final class ImagePuller {

    private final RegistryOptions options;
    private final int jobs;
    private final Progress progress;

    /** Receives bytes downloaded (including bytes already present) out of the total; calls are serialized. */
    @FunctionalInterface
    public interface Progress {
        void update(long bytesDone, long bytesTotal);
    }

    private ImagePuller(RegistryOptions options, int jobs, Progress progress) {
        this.options = options;
        this.jobs = jobs;
        this.progress = progress;
    }

    /**
     * @param jobs     blobs downloaded at once, at least 1
     * @param progress progress callback, or null
     */
    public static ImagePuller create(RegistryOptions options, int jobs, Progress progress) {
        if (jobs < 1) {
            throw new IllegalArgumentException("jobs must be at least 1, not " + jobs);
        }
        return new ImagePuller(options, jobs, progress);
    }

    /** One blob's outcome: its file, or the error that stopped it. */
    public record BlobResult(Descriptor descriptor, Path file, IOException error) {
    }

    /** What a pull produced. */
    public record Result(Manifest manifest, Path config, List<BlobResult> blobs) {
    }

    /**
     * Pulls {@code ref} into {@code dir}.
     *
     * @throws RegistryException when the image is not an OverlayBD image, or a blob cannot be downloaded or does not
     *                           match its digest (the message names the blob)
     */
    public Result pull(ImageReference ref, Path dir) throws IOException {
        Sha256.warmUp(); // while the client starts and the manifest comes
        RegistryClient client = RegistryClient.open(ref, options);
        Manifest m = RemoteImage.resolve(client, ref);
        List<String> problems = m.overlayBdProblems();
        if (!problems.isEmpty()) {
            throw new RegistryException(ref + " is not an OverlayBD image: " + problems.get(0));
        }
        Result r = download(client, ref, m, dir);
        for (BlobResult b : r.blobs()) {
            if (b.error() != null) {
                throw b.error();
            }
        }
        return r;
    }

    /** Downloads every blob of {@code m}, collecting per-blob errors instead of stopping at the first. */
    Result download(RegistryClient client, ImageReference ref, Manifest m, Path dir) throws IOException {
        Sha256.warmUp();
        Path blobs = Files.createDirectories(dir.resolve("blobs").resolve("sha256"));
        byte[] config = RemoteImage.fetchConfig(client, ref, m);
        writeAtomically(blobs.resolve(BlobCache.hex(m.config().digest())), config);
        long total = 0;
        for (Descriptor d : m.layers()) {
            total += d.size();
        }
        AtomicLong done = new AtomicLong();
        long all = total;
        Progress p = progress == null ? null : new Progress() {
            private long last = -1;

            @Override
            public synchronized void update(long bytesDone, long bytesTotal) {
                if (bytesDone > last) {
                    last = bytesDone;
                    progress.update(bytesDone, bytesTotal);
                }
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(jobs, Math.max(1, m.layers().size())), r -> {
            Thread t = new Thread(r, "overlaybd-pull");
            t.setDaemon(true);
            return t;
        });
        List<BlobResult> results = new ArrayList<>();
        try {
            List<Future<BlobResult>> futures = new ArrayList<>();
            for (Descriptor d : m.layers()) {
                futures.add(pool.submit(() -> {
                    try {
                        return new BlobResult(d, fetchBlob(client, ref, d, blobs, n -> {
                            long v = done.addAndGet(n);
                            if (p != null) {
                                p.update(v, all);
                            }
                        }), null);
                    } catch (IOException e) {
                        return new BlobResult(d, null, e);
                    }
                }));
            }
            for (Future<BlobResult> f : futures) {
                try {
                    results.add(f.get());
                } catch (ExecutionException e) {
                    throw new IOException("pull of " + ref + " failed: " + e.getCause(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("pull of " + ref + " interrupted", e);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        writeAtomically(dir.resolve("manifest.json"), m.bytes());
        Map<String, Object> cfg = new LinkedHashMap<>();
        List<Object> lowers = new ArrayList<>();
        for (Descriptor d : m.layers()) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("file", "blobs/sha256/" + BlobCache.hex(d.digest()));
            l.put("digest", d.digest());
            l.put("size", d.size());
            lowers.add(l);
        }
        cfg.put("lowers", lowers);
        if (m.hasAccelerationLayer()) {
            cfg.put("accelerationLayer", true);
        }
        Path configJson = dir.resolve("config.json");
        writeAtomically(configJson, (Json.write(cfg) + "\n").getBytes(StandardCharsets.UTF_8));
        return new Result(m, configJson, List.copyOf(results));
    }

    private interface Counter {
        void add(long n);
    }

    /**
     * Downloads one blob to {@code blobs/HEX} in one streamed GET, resuming {@code HEX.partial} with
     * {@code Range: bytes=N-} (a {@code 200} answer to it restarts from 0); checks its size and sha256 before renaming.
     * A blob whose sha256 does not match (a corrupt partial file, bytes flipped on the way) is downloaded once more
     * from its start before the pull fails.
     */
    private Path fetchBlob(RegistryClient client, ImageReference ref, Descriptor d, Path blobs, Counter counter)
            throws IOException {
        String hex = BlobCache.hex(d.digest());
        Path target = blobs.resolve(hex);
        if (Files.isRegularFile(target) && Files.size(target) == d.size() && Sha256.of(target).equals(d.digest())) {
            counter.add(d.size());
            return target;
        }
        Path partial = blobs.resolve(hex + ".partial");
        String what = "blob " + d.digest() + " of " + ref.registry() + "/" + ref.repository();
        for (int round = 1; ; round++) {
            MessageDigest digest;
            try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE)) {
                long have = Math.min(out.size(), d.size());
                out.truncate(have);
                MessageDigest base = Sha256.create();
                have = Sha256.update(base, out, have);
                counter.add(have);
                digest = have == d.size() ? base : stream(client, ref, d, out, partial, have, base, counter, what);
                // no fsync: a blob file is trusted only after its sha256 matches, on this pull and on the next one
            }
            String sha = Sha256.digestString(digest);
            if (sha.equals(d.digest())) {
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                return target;
            }
            Files.deleteIfExists(partial);
            counter.add(-d.size());
            if (round == 2) {
                throw new RegistryException(what + ": the " + d.size() + " bytes served have sha256 " + sha
                        + ", twice");
            }
        }
    }

    /** GETs the blob from byte {@code have} on (or whole), writing and hashing as the body arrives. */
    private static MessageDigest stream(RegistryClient client, ImageReference ref, Descriptor d, FileChannel out,
                                     Path partial, long have, MessageDigest base, Counter counter, String what)
            throws IOException {
        long size = d.size();
        AtomicReference<BlobWriter> current = new AtomicReference<>();
        Map<String, String> headers = have > 0 ? Map.of("Range", "bytes=" + have + "-") : Map.of();
        String range = have > 0 ? ", bytes " + have + "-" + (size - 1) : "";
        RegistryClient.Reply r = client.exchangeInto(new RegistryClient.Call("GET", client.uri(ref.repository(),
                "blobs", d.digest()), headers, null, RegistryClient.pullScope(ref.repository()), what + range), info -> {
            BlobWriter w;
            if (info.statusCode() == 206) {
                var cr = ContentRange.parse(info.headers().firstValue("Content-Range").orElse(null));
                if (have == 0 || cr.isEmpty() || cr.get().first() != have || cr.get().last() != size - 1
                        || cr.get().total() != size) {
                    throw new IOException("HTTP 206 with Content-Range '" + Json.clip(info.headers().firstValue(
                            "Content-Range").orElse("")) + "' instead of bytes " + have + "-" + (size - 1) + "/" + size);
                }
                w = new BlobWriter(out, partial, have, size, clone(base), counter, current);
            } else if (info.statusCode() == 200) {
                long length = info.headers().firstValueAsLong("Content-Length").orElse(-1);
                if (length >= 0 && length != size) {
                    throw new IOException("HTTP 200 with Content-Length " + length + " for a blob of " + size
                            + " bytes");
                }
                w = new BlobWriter(out, partial, 0, size, Sha256.create(), counter, current);
            } else {
                return null;
            }
            synchronized (current) {
                BlobWriter earlier = current.getAndSet(w); // from now on, an earlier attempt can write nothing
                // the progress counted for this blob is where the writer stands: move it back to where this one starts
                counter.add(w.start - (earlier != null ? earlier.position : have));
            }
            return w;
        }, client.deadline());
        if (r.status() != 200 && r.status() != 206) {
            throw new RegistryException(what + range + ": HTTP " + r.status() + RegistryClient.errorDetail(r),
                    r.status(), null);
        }
        BlobWriter w = current.get();
        if (w == null || w.position != size) {
            throw new RegistryException(what + range + ": the answer ended at byte " + (w == null ? have : w.position)
                    + " of " + size, r.status(), null);
        }
        return w.digest;
    }

    /**
     * Writes one answer's body at its offsets in the partial file, hashing it; refuses bytes past the blob, and any
     * bytes at all once a later attempt took over (a timed-out answer may still be delivering).
     */
    private static final class BlobWriter implements RegistryClient.BodySink {
        private final FileChannel out;
        private final Path file;
        private final long start;
        private final long size;
        private final MessageDigest digest;
        private final Counter counter;
        private final AtomicReference<BlobWriter> current;
        /** Written by the HTTP client's thread; read after the exchange completed (which orders it). */
        private long position;

        BlobWriter(FileChannel out, Path file, long start, long size, MessageDigest digest, Counter counter,
                   AtomicReference<BlobWriter> current) {
            this.out = out;
            this.file = file;
            this.start = start;
            this.size = size;
            this.digest = digest;
            this.counter = counter;
            this.position = start;
            this.current = current;
        }

        @Override
        public void accept(ByteBuffer data) throws IOException {
            int n = data.remaining();
            synchronized (current) {
                if (current.get() != this) {
                    throw new RegistryClient.Rejected("an answer that a later attempt replaced");
                }
                if (n > size - position) {
                    throw new RegistryClient.Rejected("the body runs past the blob's " + size + " bytes at byte "
                            + position);
                }
                digest.update(data.duplicate());
                try {
                    while (data.hasRemaining()) {
                        position += out.write(data, position);
                    }
                } catch (IOException e) {
                    throw new IOException("cannot write " + file + " at offset " + position + ": " + e.getMessage(),
                            e);
                }
                counter.add(n);
            }
        }
    }

    private static MessageDigest clone(MessageDigest md) {
        try {
            return (MessageDigest) md.clone();
        } catch (CloneNotSupportedException e) {
            throw new AssertionError("SHA-256 digests are cloneable", e);
        }
    }

    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
