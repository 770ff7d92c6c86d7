package io.overlaybd.zfile;

import com.github.luben.zstd.ZstdDecompressCtx;
import java.lang.ref.Cleaner;
import java.util.Arrays;

/**
 * Per-thread buffers of {@link ZFileDevice} reads, shared by every device a thread reads from, so that the hot
 * path allocates nothing and memory stays bounded per thread however many devices are open: the compressed span
 * buffer, a re-read buffer, a zstd context, and a small cache of recently decompressed blocks keyed by (device id,
 * block index). Confined to its thread; never shared.
 */
final class ReadScratch {
    /** Cache slots per thread, shared by all devices (each device may use at most its own quota of them). */
    static final int CACHE_SLOTS = 8;
    /** Compressed bytes read from the source in one call for multi-block reads (one block may exceed it). */
    static final int SPAN_LIMIT = 1 << 20;

    private static final ThreadLocal<ReadScratch> LOCAL = ThreadLocal.withInitial(ReadScratch::new);
    private static final Object CLEANER_LOCK = new Object();
    private static Cleaner cleaner;

    private byte[] span = new byte[0];
    private byte[] single = new byte[0];
    private byte[] block = new byte[0];
    private byte[] bounce = new byte[0];
    private ZstdDecompressCtx zstd;

    final long[] slotDevice = new long[CACHE_SLOTS];
    final int[] slotBlock = new int[CACHE_SLOTS];
    final long[] slotStamp = new long[CACHE_SLOTS];
    final byte[][] slotData = new byte[CACHE_SLOTS][];
    private long clock;

    private ReadScratch() {
        Arrays.fill(slotDevice, -1);
    }

    static ReadScratch get() {
        return LOCAL.get();
    }

    /** @return a buffer of at least {@code n} bytes for compressed spans (grown by doubling, never shrunk). */
    byte[] span(int n) {
        if (span.length < n) {
            span = new byte[grow(span.length, n)];
        }
        return span;
    }

    /** @return a buffer of at least {@code n} bytes for single-block re-reads and checks. */
    byte[] single(int n) {
        if (single.length < n) {
            single = new byte[n];
        }
        return single;
    }

    /** @return a buffer of at least {@code n} bytes for a decompressed block that is not cached. */
    byte[] block(int n) {
        if (block.length < n) {
            block = new byte[n];
        }
        return block;
    }

    /** @return a buffer of at least {@code n} bytes for copying into direct byte buffers. */
    byte[] bounce(int n) {
        if (bounce.length < n) {
            bounce = new byte[n];
        }
        return bounce;
    }

    /**
     * @return this thread's zstd decompression context. zstd-jni contexts hold native memory and have no
     *         finalizer, so a cleaner frees it once this scratch (i.e. its thread) is gone.
     */
    ZstdDecompressCtx zstd() {
        ZstdDecompressCtx z = zstd;
        if (z == null) {
            z = new ZstdDecompressCtx();
            cleaner().register(this, new CtxCloser(z));
            zstd = z;
        }
        return z;
    }

    /** @return the slot holding block {@code blockIndex} of device {@code deviceId}, or -1. */
    int lookup(long deviceId, int blockIndex) {
        for (int i = 0; i < CACHE_SLOTS; i++) {
            if (slotDevice[i] == deviceId && slotBlock[i] == blockIndex) {
                slotStamp[i] = ++clock;
                return i;
            }
        }
        return -1;
    }

    /**
     * Picks a slot to fill for {@code deviceId} (its own least recently used one once it holds {@code quota}
     * slots, else the least recently used of all), marks it empty and sizes it to {@code size} bytes.
     */
    int claim(long deviceId, int quota, int size) {
        int own = 0;
        int ownLru = -1;
        int lru = 0;
        for (int i = 0; i < CACHE_SLOTS; i++) {
            if (slotDevice[i] == deviceId) {
                own++;
                if (ownLru < 0 || slotStamp[i] < slotStamp[ownLru]) {
                    ownLru = i;
                }
            }
            if (slotStamp[i] < slotStamp[lru]) {
                lru = i;
            }
        }
        int victim = own >= quota ? ownLru : lru;
        slotDevice[victim] = -1;
        slotStamp[victim] = 0;
        if (slotData[victim] == null || slotData[victim].length < size) {
            slotData[victim] = new byte[size];
        }
        return victim;
    }

    /** Marks a claimed slot as holding block {@code blockIndex} of {@code deviceId}. */
    void publish(int slot, long deviceId, int blockIndex) {
        slotBlock[slot] = blockIndex;
        slotDevice[slot] = deviceId;
        slotStamp[slot] = ++clock;
    }

    private static int grow(int current, int needed) {
        int n = Math.max(current, 64 << 10);
        while (n < needed) {
            n = n > (1 << 29) ? needed : n * 2;
        }
        return n;
    }

    private static Cleaner cleaner() {
        synchronized (CLEANER_LOCK) {
            if (cleaner == null) {
                cleaner = Cleaner.create();
            }
            return cleaner;
        }
    }

    /** Frees a context; holds no reference to the scratch, so the scratch can become unreachable. */
    private static final class CtxCloser implements Runnable {
        private final ZstdDecompressCtx ctx;

        CtxCloser(ZstdDecompressCtx ctx) {
            this.ctx = ctx;
        }

        @Override
        public void run() {
            ctx.close();
        }
    }
}
