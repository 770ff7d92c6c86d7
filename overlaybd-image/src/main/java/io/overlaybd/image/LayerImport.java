package io.overlaybd.image;

import io.overlaybd.core.FileDevice;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.lsmt.CommitOptions;
import io.overlaybd.lsmt.LayerStack;
import io.overlaybd.lsmt.SealedLayerStream;
import io.overlaybd.zfile.ZFileWriter;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Turns a raw disk image into a sealed layer in one pass, without a writable layer in between: the disk is read in
 * 1 MiB chunks, each 4 KiB block compared with what the layers below read there (zeros when there are none), and
 * only the blocks that differ are stored: a block equal to the lower content is a hole (it reads through), a zero
 * block over non-zero lower content is a zeroed range (a discard that hides it), any other block is data. The result
 * stacked on the lowers reads exactly as the disk.
 *
 * <p>Chunks are compared on {@link Options#threads()} threads and the ZFile (if any) compressed on as many; at most
 * {@code 2 × threads} chunks are in memory, plus the index (16 bytes per segment), so memory is bounded whatever the
 * disk size. The JDK has no {@code SEEK_DATA}: holes of a sparse disk file are read (the kernel returns zeros without
 * touching the disk) and zero blocks are found with the JDK's vectorised array comparison.
 *
 * <p>The output appears under its final name only when complete (see {@link LayerOutput}). Stateless and
 * thread-safe: concurrent imports are independent. The devices given are read with positional reads, so they may be
 * shared with other readers.
 */
public final class LayerImport {
    /** The unit of comparison: a block is stored whole or not at all. */
    public static final int BLOCK = 4096;
    static final int CHUNK = 1 << 20;
    private static final byte[] ZEROS = new byte[BLOCK];
    private static final byte SAME = 0;
    private static final byte DATA = 1;
    private static final byte ZEROED = 2;

    private LayerImport() {
    }

    /**
     * What to write and how.
     *
     * @param uuid       the new layer's uuid; null for a fresh random one
     * @param parentUuid the parent uuid; null for the default: the top lower layer's uuid when the lowers are
     *                   layers, none for a raw base or no lower
     * @param message    the commit message (user tag), or null
     * @param zfile      the ZFile writer (its {@code tar} option decides the wrapping), or null for a raw layer
     * @param tar        tar-wrap a raw layer (must agree with {@code zfile.tar()} when compressing)
     * @param threads    compare threads, at least 1
     * @param progress   receives (disk bytes done, disk size) after each chunk, from the calling thread; or null
     */
    public record Options(UUID uuid, UUID parentUuid, String message, ZFileWriter zfile, boolean tar, int threads,
                          ImageVerifier.Progress progress) {
        /** Random uuid, default parent, no message, raw, one thread, no progress. */
        public static final Options DEFAULTS = new Options(null, null, null, null, false, 1, null);

        /** @throws IllegalArgumentException if threads &lt; 1 or tar disagrees with the ZFile writer */
        public Options {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, not " + threads);
            }
            if (zfile != null && zfile.tar() != tar) {
                throw new IllegalArgumentException("tar is " + tar + " but the zfile writer's tar is " + zfile.tar());
            }
            new CommitOptions(null, null, message); // validates the tag's length
        }

        /** @return a copy with another uuid. */
        public Options withUuid(UUID u) {
            return new Options(u, parentUuid, message, zfile, tar, threads, progress);
        }

        /** @return a copy with another parent uuid (null: the default). */
        public Options withParentUuid(UUID p) {
            return new Options(uuid, p, message, zfile, tar, threads, progress);
        }

        /** @return a copy with another commit message. */
        public Options withMessage(String m) {
            return new Options(uuid, parentUuid, m, zfile, tar, threads, progress);
        }

        /** @return a copy compressing with {@code writer} (null: raw), tar-wrapped as the writer says. */
        public Options withZFile(ZFileWriter writer) {
            return new Options(uuid, parentUuid, message, writer, writer != null ? writer.tar() : tar, threads,
                    progress);
        }

        /** @return a copy writing a raw layer, tar-wrapped or not. */
        public Options withRawTar(boolean t) {
            return new Options(uuid, parentUuid, message, null, t, threads, progress);
        }

        /** @return a copy with another thread count. */
        public Options withThreads(int n) {
            return new Options(uuid, parentUuid, message, zfile, tar, n, progress);
        }

        /** @return a copy with a progress callback. */
        public Options withProgress(ImageVerifier.Progress p) {
            return new Options(uuid, parentUuid, message, zfile, tar, threads, p);
        }
    }

    /**
     * What an import wrote.
     *
     * @param diskBytes     the disk's size (the layer's virtual size)
     * @param changedBytes  bytes of the 4 KiB blocks that differ from the lower content
     * @param dataBytes     bytes stored as data (changed blocks that are not all zeros)
     * @param zeroedBytes   bytes of zeroed ranges (changed blocks that became zeros)
     * @param segments      index entries of the layer
     * @param fileBytes     size of the output file
     * @param uuid          the layer's uuid
     * @param parentUuid    the parent uuid written, or null
     * @param nanos         wall time of the import
     */
    public record Result(long diskBytes, long changedBytes, long dataBytes, long zeroedBytes, int segments,
                         long fileBytes, UUID uuid, UUID parentUuid, long nanos) {
        /** @return disk bytes read per second, in MB/s (10^6). */
        public double megabytesPerSecond() {
            return nanos == 0 ? 0 : diskBytes / 1e6 / (nanos / 1e9);
        }
    }

    /** Imports {@code disk} with nothing below: zero blocks become holes. */
    public static Result importDisk(Path disk, Path out, Options options) throws IOException {
        try (FileDevice d = FileDevice.open(disk)) {
            return importDisk(d, null, null, out, options);
        }
    }

    /**
     * Imports {@code disk} on a raw base image: only the blocks that differ from {@code base} are stored (base and
     * disk are both read as plain bytes). The parent uuid is none unless the options name one.
     */
    public static Result importOnBase(Path disk, Path base, Path out, Options options) throws IOException {
        try (FileDevice d = FileDevice.open(disk); FileDevice b = FileDevice.open(base)) {
            return importDisk(d, b, null, out, options);
        }
    }

    /**
     * Imports {@code disk} on an existing image ({@link Image#open(List)}: layer blobs lowest first, or a
     * config.json): only the blocks that differ from the image's device are stored, and the parent uuid defaults to
     * the top layer's uuid.
     */
    public static Result importOnImage(Path disk, List<Path> lowers, Path out, Options options) throws IOException {
        try (FileDevice d = FileDevice.open(disk); Image image = Image.open(lowers)) {
            LayerStack stack = image.stack().orElseThrow(() -> new IllegalArgumentException("the lower image "
                    + lowers.get(0) + " is not a layered image (no LSMT layer)"));
            UUID top = stack.upper() != null ? stack.upper().uuid() : stack.layers().isEmpty() ? null
                    : stack.layers().get(stack.layers().size() - 1).uuid();
            return importDisk(d, image.device(), top, out, options);
        }
    }

    /**
     * Imports a disk device on a lower device.
     *
     * @param lower         what the layers below read (null: zeros); read up to its size, zeros beyond
     * @param defaultParent the parent uuid written when the options name none, or null
     * @throws IllegalArgumentException if the disk is empty or its size is not a multiple of 512, or the layer
     *                                  would need more index entries than readers accept
     */
    public static Result importDisk(RandomAccessBlockDevice disk, RandomAccessBlockDevice lower, UUID defaultParent,
                                    Path out, Options options) throws IOException {
        Objects.requireNonNull(disk, "disk");
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(options, "options");
        long size = disk.size();
        if (size <= 0 || size % 512 != 0) {
            throw new IllegalArgumentException(disk.description() + ": size " + size + " is not a positive multiple "
                    + "of 512, as a disk image's is");
        }
        long start = System.nanoTime();
        UUID uuid = options.uuid() != null ? options.uuid() : UUID.randomUUID();
        UUID parent = options.parentUuid() != null ? options.parentUuid() : defaultParent;
        CommitOptions commit = new CommitOptions(uuid, parent, options.message());
        long[] counts = new long[3]; // changed, data, zeroed
        int[] segments = {0};
        LayerOutput.write(out, options.zfile(), options.tar(), stream -> {
            SealedLayerStream layer = SealedLayerStream.start(stream, size, commit);
            new Scan(disk, lower, options, layer, counts).run();
            layer.finish();
            segments[0] = layer.segments();
        });
        return new Result(size, counts[0], counts[1], counts[2], segments[0], Files.size(out), uuid, parent,
                System.nanoTime() - start);
    }

    /** One chunk of the disk in flight: its bytes, the lower's, and each block's verdict. */
    private static final class Chunk {
        final byte[] disk = new byte[CHUNK];
        final byte[] lower;
        final byte[] kinds = new byte[CHUNK / BLOCK];
        long pos;
        int len;

        Chunk(boolean withLower) {
            lower = withLower ? new byte[CHUNK] : null;
        }
    }

    /** The scan: chunks compared on a pool, consumed in order by the calling thread. */
    private static final class Scan {
        private final RandomAccessBlockDevice disk;
        private final RandomAccessBlockDevice lower;
        private final long lowerSize;
        private final Options options;
        private final SealedLayerStream layer;
        private final long[] counts;

        Scan(RandomAccessBlockDevice disk, RandomAccessBlockDevice lower, Options options, SealedLayerStream layer,
             long[] counts) throws IOException {
            this.disk = disk;
            this.lower = lower;
            this.lowerSize = lower == null ? 0 : lower.size();
            this.options = options;
            this.layer = layer;
            this.counts = counts;
        }

        void run() throws IOException {
            long size = disk.size();
            int threads = options.threads();
            int window = Math.max(2, 2 * threads);
            ArrayBlockingQueue<Chunk> free = new ArrayBlockingQueue<>(window);
            for (int i = 0; i < window; i++) {
                free.add(new Chunk(lower != null));
            }
            ExecutorService pool = threads > 1 ? Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "overlaybd-import");
                t.setDaemon(true);
                return t;
            }) : null;
            ArrayDeque<Future<Chunk>> inflight = new ArrayDeque<>();
            try {
                long next = 0;
                while (next < size || !inflight.isEmpty()) {
                    while (next < size && !free.isEmpty()) {
                        Chunk c = free.poll();
                        c.pos = next;
                        c.len = (int) Math.min(CHUNK, size - next);
                        next += c.len;
                        if (pool == null) {
                            classify(c);
                            inflight.add(java.util.concurrent.CompletableFuture.completedFuture(c));
                        } else {
                            inflight.add(pool.submit(() -> classify(c)));
                        }
                    }
                    Chunk c = await(inflight.poll());
                    emit(c);
                    if (options.progress() != null) {
                        options.progress().update(c.pos + c.len, size);
                    }
                    free.add(c);
                }
            } finally {
                if (pool != null) {
                    pool.shutdownNow();
                }
            }
        }

        private static Chunk await(Future<Chunk> f) throws IOException {
            try {
                return f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while importing");
            } catch (ExecutionException e) {
                Throwable t = e.getCause();
                if (t instanceof IOException io) {
                    throw io;
                }
                if (t instanceof UncheckedIOException u) {
                    throw u.getCause();
                }
                if (t instanceof RuntimeException r) {
                    throw r;
                }
                throw new IOException(t);
            }
        }

        private Chunk classify(Chunk c) throws IOException {
            disk.readFully(c.pos, c.disk, 0, c.len);
            if (lower != null) {
                int n = (int) Math.max(0, Math.min(c.len, lowerSize - c.pos));
                if (n > 0) {
                    lower.readFully(c.pos, c.lower, 0, n);
                }
                Arrays.fill(c.lower, n, c.len, (byte) 0);
            }
            for (int b = 0, off = 0; off < c.len; b++, off += BLOCK) {
                int n = Math.min(BLOCK, c.len - off);
                boolean zero = Arrays.mismatch(c.disk, off, off + n, ZEROS, 0, n) < 0;
                if (lower == null) {
                    c.kinds[b] = zero ? SAME : DATA;
                } else if (Arrays.mismatch(c.disk, off, off + n, c.lower, off, off + n) < 0) {
                    c.kinds[b] = SAME;
                } else {
                    c.kinds[b] = zero ? ZEROED : DATA;
                }
            }
            return c;
        }

        /** Writes a chunk's runs of changed blocks, in order. */
        private void emit(Chunk c) throws IOException {
            int blocks = (c.len + BLOCK - 1) / BLOCK;
            for (int b = 0; b < blocks; ) {
                byte k = c.kinds[b];
                int e = b + 1;
                while (e < blocks && c.kinds[e] == k) {
                    e++;
                }
                int off = b * BLOCK;
                int len = Math.min(e * BLOCK, c.len) - off;
                if (k == DATA) {
                    layer.data(c.pos + off, c.disk, off, len);
                    counts[1] += len;
                } else if (k == ZEROED) {
                    layer.zeroed(c.pos + off, len);
                    counts[2] += len;
                }
                if (k != SAME) {
                    counts[0] += len;
                }
                b = e;
            }
        }
    }
}
