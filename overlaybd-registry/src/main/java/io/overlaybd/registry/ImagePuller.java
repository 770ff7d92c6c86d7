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
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Downloads an OverlayBD image into a folder so that every command then works offline on {@code DIR/config.json}:
 * the layer blobs (in parallel, each by ranged GETs, resumable from a {@code .partial} file, each checked against its
 * sha256), the image config blob, {@code manifest.json} (the exact manifest bytes) and an overlaybd
 * {@code config.json} whose {@code lowers} name the blob files with their digest and size. Layout:
 * {@code DIR/blobs/sha256/HEX}. Immutable; {@link #pull} may run concurrently for different folders.
 */
public final class ImagePuller {
    /** Bytes per ranged GET of a download: a multiple of every allowed chunk size. */
    private static final int PIECE = 16 << 20;
    /** Ranged GETs in flight per blob while earlier pieces are hashed and written. */
    private static final int AHEAD = 2;

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

    /** Downloads one blob to {@code blobs/HEX}, resuming {@code HEX.partial}; checks its sha256 before renaming. */
    private Path fetchBlob(RegistryClient client, ImageReference ref, Descriptor d, Path blobs, Counter counter)
            throws IOException {
        String hex = BlobCache.hex(d.digest());
        Path target = blobs.resolve(hex);
        if (Files.isRegularFile(target) && Files.size(target) == d.size() && sha256(target).equals(d.digest())) {
            counter.add(d.size());
            return target;
        }
        Path partial = blobs.resolve(hex + ".partial");
        MessageDigest md = newSha256();
        try (FileChannel out = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE); RemoteBlobDevice dev = RemoteBlobDevice.open(client, ref.repository(),
                d.digest(), d.size(), null)) {
            long have = Math.min(out.size(), d.size());
            // resume: keep the whole pieces already written, re-hashing them
            have -= have % options.chunkSize();
            out.truncate(have);
            ByteBuffer buf = ByteBuffer.allocate(PIECE);
            for (long pos = 0; pos < have; ) {
                buf.clear().limit((int) Math.min(PIECE, have - pos));
                int n = out.read(buf, pos);
                if (n <= 0) {
                    break;
                }
                buf.flip();
                md.update(buf);
                pos += n;
            }
            counter.add(have);
            // the next pieces are fetched while this one is hashed and written (AHEAD GETs in flight per blob)
            java.util.ArrayDeque<long[]> ranges = new java.util.ArrayDeque<>();
            for (long pos = have; pos < d.size(); ) {
                int n = (int) Math.min(PIECE - pos % PIECE, d.size() - pos);
                ranges.add(new long[] {pos, n});
                pos += n;
            }
            java.util.ArrayDeque<java.util.concurrent.Future<byte[]>> pending = new java.util.ArrayDeque<>();
            ExecutorService fetcher = Executors.newFixedThreadPool(AHEAD, r -> {
                Thread t = new Thread(r, "overlaybd-pull-fetch");
                t.setDaemon(true);
                return t;
            });
            try {
                java.util.Iterator<long[]> it = ranges.iterator();
                while (pending.size() < AHEAD && it.hasNext()) {
                    long[] rg = it.next();
                    pending.add(fetcher.submit(() -> dev.fetchRange(rg[0], rg[1])));
                }
                for (long[] rg : ranges) {
                    byte[] piece = join(pending.poll(), d);
                    if (it.hasNext()) {
                        long[] nx = it.next();
                        pending.add(fetcher.submit(() -> dev.fetchRange(nx[0], nx[1])));
                    }
                    int n = (int) rg[1];
                    md.update(piece, 0, n);
                    ByteBuffer w = ByteBuffer.wrap(piece, 0, n);
                    long at = rg[0];
                    while (w.hasRemaining()) {
                        at += out.write(w, at);
                    }
                    counter.add(n);
                }
            } finally {
                fetcher.shutdownNow();
            }
            // no fsync: a blob file is trusted only after its sha256 matches, on this pull and on the next one
        }
        String sha = "sha256:" + HexFormat.of().formatHex(md.digest());
        if (!sha.equals(d.digest())) {
            Files.deleteIfExists(partial);
            throw new RegistryException("blob " + d.digest() + " of " + ref.registry() + "/" + ref.repository()
                    + ": the " + d.size() + " bytes served have sha256 " + sha);
        }
        Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    private static byte[] join(java.util.concurrent.Future<byte[]> f, Descriptor d) throws IOException {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("download of blob " + d.digest() + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("download of blob " + d.digest() + " interrupted", e);
        }
    }

    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static String sha256(Path f) throws IOException {
        return ImagePusher.sha256(f);
    }
}
