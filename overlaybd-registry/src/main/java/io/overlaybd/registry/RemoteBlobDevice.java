package io.overlaybd.registry;

import io.overlaybd.core.AbstractBlockDevice;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A blob in a registry read as a device: positional reads become HTTP {@code Range} GETs of whole, aligned chunks
 * ({@link RegistryOptions#chunkSize()}), adjacent missing chunks of one read coalesced into one GET (up to
 * {@link RegistryOptions#maxCoalescedChunks()}), recent chunks kept in a small memory cache and, when given one, in a
 * persistent {@link BlobCache}. Several threads wanting the same chunk share one request.
 *
 * <p>An answer is accepted only as {@code 206} with a {@code Content-Range} whose start, end and total equal the
 * request and the descriptor's size, and a body of exactly that length. The one fallback: a blob no larger than one
 * chunk may come back as {@code 200} with exactly the whole blob. Anything else (a {@code 200} of a larger blob,
 * whose bytes start at 0 and not at the asked offset; a wrong range; a short body) is retried a bounded number of
 * times and then fails with a {@link RegistryException} naming the digest, the byte range and the status; every read
 * ends within {@link RegistryOptions#readTimeout()}.
 *
 * <p>Thread-safe: reads are positional and may run concurrently from any number of threads. {@link #evict} drops
 * suspect chunks (the ZFile reader calls it through its re-read hook when a block fails its CRC).
 */
public final class RemoteBlobDevice extends AbstractBlockDevice {
    private final RegistryClient client;
    private final String repository;
    private final String digest;
    private final long size;
    private final int chunkSize;
    private final int shift;
    private final int maxRun;
    private final URI uri;
    private final ChunkStore store;
    private final AtomicReferenceArray<Slot> memory;
    private final Map<Long, CompletableFuture<byte[]>> inflight = new ConcurrentHashMap<>();
    private final AtomicLong bytesFetched = new AtomicLong();
    private final AtomicLong requests = new AtomicLong();

    private record Slot(long chunk, byte[] data) {
    }

    private RemoteBlobDevice(RegistryClient client, String repository, String digest, long size, ChunkStore store) {
        super(client.registry() + "/" + repository + "@" + digest);
        RegistryOptions o = client.options();
        this.client = client;
        this.repository = repository;
        this.digest = digest;
        this.size = size;
        this.chunkSize = o.chunkSize();
        this.shift = Integer.numberOfTrailingZeros(chunkSize);
        this.maxRun = o.maxCoalescedChunks();
        this.uri = client.uri(repository, "blobs", digest);
        this.store = store;
        this.memory = new AtomicReferenceArray<>(Math.max(1, o.memoryChunks()));
    }

    /**
     * Opens a blob of {@code repository} as a device of {@code size} bytes (the descriptor's size). Nothing is
     * fetched until the first read.
     *
     * @param store a persistent chunk store (closed with the device), or null
     */
    static RemoteBlobDevice open(RegistryClient client, String repository, String digest, long size,
                                 ChunkStore store) {
        if (size < 0) {
            throw new IllegalArgumentException("negative blob size " + size);
        }
        return new RemoteBlobDevice(client, repository, digest, size, store);
    }

    /**
     * Opens a layer blob of {@code repository} without a persistent cache.
     *
     * @param blob the descriptor: digest and size
     */
    public static RemoteBlobDevice open(RegistryClient client, String repository, Descriptor blob) {
        return open(client, repository, blob.digest(), blob.size(), null);
    }

    @Override
    public long size() {
        return size;
    }

    /** @return the blob digest. */
    public String digest() {
        return digest;
    }

    /** @return bytes received from the registry so far (all attempts). */
    public long bytesFetched() {
        return bytesFetched.get();
    }

    /** @return ranged GETs sent so far (all attempts). */
    public long requests() {
        return requests.get();
    }

    @Override
    protected int readAt(long position, byte[] dst, int dstOffset, int n) throws IOException {
        long end = position + n;
        long first = position >>> shift;
        long last = (end - 1) >>> shift;
        // 1. copy what is in memory or in the store; remember what is missing
        List<Long> missing = null;
        for (long c = first; c <= last; c++) {
            long cs = c << shift;
            int from = (int) (Math.max(position, cs) - cs);
            int to = (int) (Math.min(end, cs + chunkSize) - cs);
            int at = dstOffset + (int) (cs + from - position);
            Slot s = memory.get(slot(c));
            if (s != null && s.chunk() == c) {
                System.arraycopy(s.data(), from, dst, at, to - from);
                continue;
            }
            if (store != null && store.read(c, from, dst, at, to - from)) {
                continue;
            }
            if (missing == null) {
                missing = new ArrayList<>();
            }
            missing.add(c);
        }
        if (missing == null) {
            return n;
        }
        // 2. fetch the missing chunks nobody else is fetching, in coalesced runs; wait for the others
        long deadline = client.deadline();
        List<CompletableFuture<byte[]>> waits = new ArrayList<>(missing.size());
        List<Long> run = new ArrayList<>();
        List<CompletableFuture<byte[]>> runFutures = new ArrayList<>();
        for (long c : missing) {
            CompletableFuture<byte[]> mine = new CompletableFuture<>();
            CompletableFuture<byte[]> other = inflight.putIfAbsent(c, mine);
            if (other != null) {
                waits.add(other);
                continue;
            }
            waits.add(mine);
            if (!run.isEmpty() && (run.get(run.size() - 1) != c - 1 || run.size() >= maxRun)) {
                fetchRun(run, runFutures, deadline);
                run.clear();
                runFutures.clear();
            }
            run.add(c);
            runFutures.add(mine);
        }
        if (!run.isEmpty()) {
            fetchRun(run, runFutures, deadline);
        }
        for (int i = 0; i < missing.size(); i++) {
            long c = missing.get(i);
            byte[] data = await(waits.get(i), c, deadline);
            long cs = c << shift;
            int from = (int) (Math.max(position, cs) - cs);
            int to = (int) (Math.min(end, cs + chunkSize) - cs);
            System.arraycopy(data, from, dst, dstOffset + (int) (cs + from - position), to - from);
        }
        return n;
    }

    private int slot(long chunk) {
        return (int) Long.remainderUnsigned(chunk, memory.length());
    }

    private byte[] await(CompletableFuture<byte[]> f, long chunk, long deadline) throws IOException {
        try {
            return f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                // the fetching thread's exception, re-thrown here with this thread's stack as suppressed context
                IOException copy = new RegistryException(io.getMessage(), io instanceof RegistryException r
                        ? r.status() : -1, io);
                throw copy;
            }
            throw new IOException(description() + ": fetching chunk " + chunk + " failed: " + c, c);
        } catch (TimeoutException e) {
            throw new RegistryException("blob " + digest + " of " + client.registry() + "/" + repository + ", bytes "
                    + range(chunk, chunk) + ": no answer within the read timeout", -1, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(description() + ": interrupted", e);
        }
    }

    private String range(long firstChunk, long lastChunk) {
        long start = firstChunk << shift;
        long endIncl = Math.min(size, (lastChunk + 1) << shift) - 1;
        return start + "-" + endIncl;
    }

    /** Fetches chunks {@code run} (consecutive) with one GET; completes their futures either way. */
    private void fetchRun(List<Long> run, List<CompletableFuture<byte[]>> futures, long deadline) {
        long c0 = run.get(0);
        long c1 = run.get(run.size() - 1);
        try {
            byte[] body = fetch(c0, c1, deadline);
            for (int i = 0; i < run.size(); i++) {
                long c = run.get(i);
                int off = (int) ((c - c0) << shift);
                int len = (int) Math.min(chunkSize, size - (c << shift));
                byte[] data = off == 0 && len == body.length ? body : java.util.Arrays.copyOfRange(body, off,
                        off + len);
                if (store != null) {
                    try {
                        store.write(c, data, len);
                    } catch (IOException e) {
                        // the cache is an optimisation: a full disk must not fail a read that has its bytes
                    }
                }
                memory.set(slot(c), new Slot(c, data));
                futures.get(i).complete(data);
                inflight.remove(c, futures.get(i));
            }
        } catch (IOException | RuntimeException e) {
            for (int i = 0; i < run.size(); i++) {
                futures.get(i).completeExceptionally(e);
                inflight.remove(run.get(i), futures.get(i));
            }
        }
    }

    /**
     * One validated ranged GET of {@code [position, position+length)} straight from the registry, past the memory
     * and persistent caches (for whole-blob downloads); {@code position} must be a multiple of the chunk size and the
     * range must end at a chunk boundary or at the end of the blob.
     */
    byte[] fetchRange(long position, long length) throws IOException {
        if ((position & (chunkSize - 1)) != 0 || length <= 0 || position + length > size
                || ((position + length) & (chunkSize - 1)) != 0 && position + length != size) {
            throw new IllegalArgumentException("range " + position + "+" + length + " is not chunk-aligned in "
                    + description());
        }
        ensureOpen();
        return fetch(position >>> shift, (position + length - 1) >>> shift, client.deadline());
    }

    /** One validated ranged GET of chunks {@code c0..c1}; retries answers that are wrong in a way that may pass. */
    private byte[] fetch(long c0, long c1, long deadline) throws IOException {
        long start = c0 << shift;
        long endIncl = Math.min(size, (c1 + 1) << shift) - 1;
        long length = endIncl - start + 1;
        String what = "blob " + digest + " of " + client.registry() + "/" + repository + ", bytes " + start + "-"
                + endIncl;
        boolean tiny = size <= chunkSize;
        String problem = null;
        int status = -1;
        for (int attempt = 1; attempt <= client.options().maxAttempts(); attempt++) {
            if (deadline - System.nanoTime() <= 0) {
                break;
            }
            requests.incrementAndGet();
            RegistryClient.Reply r = client.exchange(new RegistryClient.Call("GET", uri,
                    Map.of("Range", "bytes=" + start + "-" + endIncl), null, RegistryClient.pullScope(repository),
                    what), info -> info.statusCode() == 206 ? length : info.statusCode() == 200 && tiny ? size : 0L,
                    deadline);
            bytesFetched.addAndGet(r.body() == null ? 0 : r.body().length);
            status = r.status();
            if (status == 206) {
                var cr = ContentRange.parse(r.header("Content-Range").orElse(null));
                if (cr.isEmpty()) {
                    problem = "HTTP 206 with a missing or malformed Content-Range '" + Json.clip(r.header(
                            "Content-Range").orElse("")) + "'";
                } else if (cr.get().first() != start || cr.get().last() != endIncl) {
                    problem = "HTTP 206 with Content-Range " + cr.get().first() + "-" + cr.get().last()
                            + " instead of the requested " + start + "-" + endIncl;
                } else if (cr.get().total() != size) {
                    problem = "HTTP 206 says the blob has " + (cr.get().total() < 0 ? "an unknown size ('*')"
                            : cr.get().total() + " bytes") + " but its descriptor says " + size;
                    throw new RegistryException(what + ": " + problem, status, null);
                } else if (r.body().length != length) {
                    problem = "HTTP 206 with a body of " + r.body().length + " bytes instead of " + length
                            + " (truncated)";
                } else {
                    return r.body();
                }
                continue;
            }
            if (status == 200) {
                if (tiny && r.body().length == size) {
                    return start == 0 && length == size ? r.body() : java.util.Arrays.copyOfRange(r.body(),
                            (int) start, (int) (start + length));
                }
                throw new RegistryException(what + ": HTTP 200 (the whole blob) for a ranged GET: the server "
                        + "ignored Range, so the bytes would start at offset 0, not " + start, status, null);
            }
            if (status == 404) {
                throw new RegistryException(what + ": HTTP 404: the registry has no such blob"
                        + RegistryClient.errorDetail(r), status, null);
            }
            if (status == 416) {
                throw new RegistryException(what + ": HTTP 416 Range Not Satisfiable: the blob is shorter than "
                        + "its descriptor's " + size + " bytes", status, null);
            }
            throw new RegistryException(what + ": HTTP " + status + RegistryClient.errorDetail(r), status, null);
        }
        throw new RegistryException(what + ": no valid answer" + (problem != null ? "; last: " + problem : " within "
                + "the read timeout"), status, null);
    }

    /**
     * Drops the chunks overlapping {@code [offset, offset+length)} from memory and the persistent cache, so that
     * the next read fetches them again (bytes that failed a check).
     */
    public void evict(long offset, long length) throws IOException {
        if (length <= 0 || offset >= size) {
            return;
        }
        long first = offset >>> shift;
        long last = (Math.min(size, offset + length) - 1) >>> shift;
        for (long c = first; c <= last; c++) {
            int i = slot(c);
            Slot s = memory.get(i);
            if (s != null && s.chunk() == c) {
                memory.compareAndSet(i, s, null);
            }
        }
        if (store != null) {
            store.evict(first, last);
        }
    }

    @Override
    protected void closeResources() throws IOException {
        for (int i = 0; i < memory.length(); i++) {
            memory.set(i, null);
        }
        if (store != null) {
            store.close();
        }
    }
}
