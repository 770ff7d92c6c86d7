package io.overlaybd.zfile;

import static io.overlaybd.zfile.ZFileFormat.*;

import io.overlaybd.core.Crc32c;
import io.overlaybd.core.LittleEndian;
import io.overlaybd.core.TarFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The streaming sink of a {@link ZFileWriter}: bytes written here become the uncompressed content of a ZFile
 * (FORMAT.md §1.7). Writes of any size are buffered into blocks; the content length need not be known in advance.
 * {@link #close()} compresses the last (short) block, writes the jump table and the trailer, rewrites the header
 * and adds the tar wrapper when configured, then makes the file appear under its final name atomically.
 *
 * <p><b>Failure:</b> until {@code close()} succeeds, the bytes live in a temporary file beside the target, never
 * under the target's name. If anything fails, or if your own code fails while producing the content, call
 * {@link #abort()}, which deletes the temporary file ({@link ZFileWriter#write(java.nio.file.Path,
 * ZFileWriter.ContentProducer)} does this for you). Note that {@code close()} in a try-with-resources block
 * <em>commits</em> what was written, even when the block exits with an exception thrown by your code; after a failure
 * of this stream itself, {@code close()} deletes the temporary file and throws. A stream that is never closed
 * leaves only its temporary file ({@code .<name>.<random>.tmp}).
 *
 * <p><b>Thread-safety:</b> not thread-safe; use it from one thread. With {@code threads > 1}, blocks are compressed
 * on an internal pool and written in order, so the output is identical to a single-threaded one.
 */
public final class ZFileOutputStream extends OutputStream {
    private static final AtomicInteger POOL_IDS = new AtomicInteger();

    private enum State { OPEN, COMMITTED, ABORTED, FAILED }

    private final ZFileWriter config;
    private final OutputSink sink;
    private final String target;
    private final long payloadStart;
    private final ExecutorService executor;
    private final int maxInFlight;
    private final ArrayDeque<Future<CompressBatch>> inflight = new ArrayDeque<>();
    private final ArrayDeque<CompressBatch> free = new ArrayDeque<>();
    private final List<CompressBatch> batches = new ArrayList<>();
    private CompressBatch current;
    private int[] table = new int[256];
    private int blocks;
    private long storedBytes;
    private long originalSize;
    private State state = State.OPEN;
    private Throwable failure;
    private ZFileHeader trailer;

    private ZFileOutputStream(ZFileWriter config, OutputSink sink, String target) {
        this.config = config;
        this.sink = sink;
        this.target = target;
        this.payloadStart = config.tar() ? TarFormat.WRAPPED_PAYLOAD_OFFSET : 0;
        int threads = config.threads();
        if (threads > 1) {
            int pool = POOL_IDS.incrementAndGet();
            AtomicInteger n = new AtomicInteger();
            this.executor = Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "zfile-compress-" + pool + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
            // four 1 MiB batches per thread keep every worker busy while the caller fills and writes batches
            // (two left lz4 at 64 KiB blocks at 1.46x on 2 threads, four give 1.70x); memory: ~2 MiB per batch
            this.maxInFlight = 4 * threads;
        } else {
            this.executor = null;
            this.maxInFlight = 0;
        }
    }

    /** Starts a ZFile on {@code sink}: the tar placeholder if wrapping, then the streamed header (flags 0x13). */
    static ZFileOutputStream start(ZFileWriter config, OutputSink sink, String target) throws IOException {
        ZFileOutputStream s = new ZFileOutputStream(config, sink, target);
        try {
            if (config.tar()) {
                sink.append(new byte[TarFormat.WRAPPED_PAYLOAD_OFFSET], 0, TarFormat.WRAPPED_PAYLOAD_OFFSET);
            }
            byte[] header = ZFileHeader.create(FLAGS_STREAMED_HEADER, 0, 0, 0, 0, config.blockSize(),
                    config.algorithm(), config.blockCrc()).encode();
            sink.append(header, 0, header.length);
            s.current = s.newBatch();
        } catch (Throwable t) {
            s.fail(t);
            throw t;
        }
        return s;
    }

    @Override
    public void write(int b) throws IOException {
        ensureOpen();
        try {
            current.in[current.inLength++] = (byte) b;
            originalSize++;
            if (current.isFull()) {
                dispatch(true);
            }
        } catch (Throwable t) {
            fail(t);
            throw t;
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        try {
            while (len > 0) {
                int k = Math.min(len, current.in.length - current.inLength);
                System.arraycopy(b, off, current.in, current.inLength, k);
                current.inLength += k;
                originalSize += k;
                off += k;
                len -= k;
                if (current.isFull()) {
                    dispatch(true);
                }
            }
        } catch (Throwable t) {
            fail(t);
            throw t;
        }
    }

    /**
     * Copies {@code in} to its end straight into the block buffers.
     *
     * @return the number of bytes copied
     */
    long transferFrom(InputStream in) throws IOException {
        ensureOpen();
        long total = 0;
        try {
            for (;;) {
                int r = in.read(current.in, current.inLength, current.in.length - current.inLength);
                if (r < 0) {
                    return total;
                }
                current.inLength += r;
                originalSize += r;
                total += r;
                if (current.isFull()) {
                    dispatch(true);
                }
            }
        } catch (Throwable t) {
            fail(t);
            throw t;
        }
    }

    /** Does nothing, in any state: partial blocks stay buffered until they are full or the stream is closed. */
    @Override
    public void flush() {
    }

    /** @return the number of content bytes written so far. */
    public long bytesWritten() {
        return originalSize;
    }

    /** @return the trailer written by a successful {@link #close()}, or null before that. */
    public ZFileHeader trailer() {
        return trailer;
    }

    /**
     * Finishes the ZFile and renames it into place. A second call is harmless; after {@link #abort()} it does
     * nothing.
     *
     * @throws IOException if finishing fails (the temporary file is then deleted), or if this stream failed
     *                     earlier (nothing was written)
     */
    @Override
    public void close() throws IOException {
        if (state == State.COMMITTED || state == State.ABORTED) {
            return;
        }
        if (state == State.FAILED) {
            throw new IOException("zfile output " + target + " failed earlier and was discarded", failure);
        }
        try {
            if (current.inLength > 0) {
                dispatch(false);
            }
            while (!inflight.isEmpty()) {
                drainOne();
            }
            finish();
            sink.commit();
            state = State.COMMITTED;
        } catch (Throwable t) {
            fail(t);
            throw t;
        } finally {
            release();
        }
    }

    /**
     * Discards the output: stops compression and deletes the temporary file. Harmless when repeated; does
     * nothing after a successful {@link #close()}.
     */
    public void abort() {
        if (state == State.OPEN) {
            state = State.ABORTED;
            sink.abort();
            release();
        }
    }

    private void ensureOpen() {
        if (state != State.OPEN) {
            throw new IllegalStateException("zfile output " + target + " is " + state.name().toLowerCase());
        }
    }

    private void fail(Throwable t) {
        if (state == State.OPEN) {
            state = State.FAILED;
            failure = t;
            sink.abort();
            release();
        }
    }

    private CompressBatch newBatch() {
        CompressBatch b = new CompressBatch(config.algorithm(), config.blockSize(), config.blockCrc(),
                CompressBatch.blocksPerBatch(config.blockSize()));
        batches.add(b);
        return b;
    }

    /** Compresses the current batch (inline or on the pool) and, if {@code more}, provides an empty one. */
    private void dispatch(boolean more) throws IOException {
        CompressBatch b = current;
        if (executor == null) {
            b.compress();
            emit(b);
            b.reset();
            return;
        }
        current = null;
        inflight.add(executor.submit(b::compress));
        if (inflight.size() >= maxInFlight) {
            drainOne();
        }
        if (more) {
            CompressBatch next = free.poll();
            current = next != null ? next : newBatch();
        } else {
            current = b; // not reused: only read for inLength in close()
        }
    }

    private void drainOne() throws IOException {
        Future<CompressBatch> f = inflight.poll();
        CompressBatch b;
        try {
            b = f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while compressing " + target);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) {
                throw r;
            }
            if (c instanceof Error err) {
                throw err;
            }
            throw new IOException("compressing " + target + " failed", c);
        }
        emit(b);
        b.reset();
        if (b != current) {
            free.add(b);
        }
    }

    /** Appends a compressed batch and records its blocks' stored lengths. */
    private void emit(CompressBatch b) throws IOException {
        if ((long) blocks + b.blocks > MAX_INDEX_ENTRIES) {
            throw new IOException("zfile output " + target + " would exceed " + MAX_INDEX_ENTRIES + " blocks");
        }
        sink.append(b.out, 0, b.outLength);
        if (table.length - blocks < b.blocks) {
            table = Arrays.copyOf(table, Math.max(table.length * 2, blocks + b.blocks));
        }
        System.arraycopy(b.stored, 0, table, blocks, b.blocks);
        blocks += b.blocks;
        storedBytes += b.outLength;
    }

    /** Jump table, trailer, header rewrite and tar wrapper (FORMAT.md §1.7, §6). */
    private void finish() throws IOException {
        long indexOffset = HEADER_SIZE + storedBytes;
        byte[] buf = new byte[(int) Math.min(4L * Math.max(blocks, 1), 1 << 16)];
        int crc = 0;
        for (int i = 0; i < blocks; ) {
            int k = Math.min(blocks - i, buf.length / 4);
            for (int j = 0; j < k; j++) {
                LittleEndian.putInt(buf, 4 * j, table[i + j]);
            }
            crc = Crc32c.compute(crc, buf, 0, 4 * k);
            sink.append(buf, 0, 4 * k);
            i += k;
        }
        ZFileHeader t = ZFileHeader.create(FLAGS_TRAILER, indexOffset, blocks, originalSize, crc,
                config.blockSize(), config.algorithm(), config.blockCrc());
        byte[] tb = t.encode();
        sink.append(tb, 0, tb.length);
        if (config.overwriteHeader()) {
            sink.patch(payloadStart, ZFileHeader.create(FLAGS_OVERWRITTEN_HEADER, indexOffset, blocks, originalSize,
                    crc, config.blockSize(), config.algorithm(), config.blockCrc()).encode());
        }
        if (config.tar()) {
            long payload = indexOffset + 4L * blocks + HEADER_SIZE;
            sink.patch(0, TarFormat.wrapperHeader(payload));
            byte[] end = TarFormat.wrapperTrailer(payload);
            sink.append(end, 0, end.length);
        }
        trailer = t;
    }

    /** Stops the pool and frees the codec contexts (unless a task is still running on one). */
    private void release() {
        boolean idle = true;
        if (executor != null) {
            executor.shutdownNow();
            try {
                idle = executor.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                idle = false;
            }
        }
        if (idle) {
            for (CompressBatch b : batches) {
                b.close();
            }
        }
        batches.clear();
        free.clear();
        inflight.clear();
    }
}
