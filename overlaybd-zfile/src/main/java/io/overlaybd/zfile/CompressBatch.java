package io.overlaybd.zfile;

import com.github.luben.zstd.ZstdCompressCtx;
import net.jpountz.lz4.LZ4Compressor;
import io.overlaybd.core.Crc32c;
import io.overlaybd.core.LittleEndian;

/**
 * A run of consecutive blocks compressed as one task: the input bytes, the stored blocks (compressed bytes plus
 * crcSalt) back to back, and their stored lengths. Each block is compressed independently and deterministically,
 * so the output does not depend on which thread compresses which batch. Used by one thread at a time (handed over
 * through an executor, which orders the memory effects); owns a zstd context, freed by {@link #close()}.
 *
 * <p>LZ4 blocks come from {@link Lz4BlockEncoder}: liblz4's {@code LZ4_compress_default} through lz4-java's JNI
 * binding, the reference's bytes (FORMAT.md §1.5), or the pure-Java encoder where no native library loads.
 */
final class CompressBatch implements AutoCloseable {
    /** Aim for about this many input bytes per batch. */
    static final int TARGET_BYTES = 1 << 20;

    final byte[] in;
    int inLength;
    final byte[] out;
    int outLength;
    final int[] stored;
    int blocks;

    private final ZFileAlgorithm algorithm;
    private final int blockSize;
    private final boolean crc;
    private final int bound;

    private final LZ4Compressor lz4;
    private ZstdCompressCtx zstd;

    CompressBatch(ZFileAlgorithm algorithm, int blockSize, boolean crc, int blocksPerBatch) {
        this.algorithm = algorithm;
        this.blockSize = blockSize;
        this.crc = crc;
        this.bound = algorithm.compressBound(blockSize);
        this.in = new byte[blocksPerBatch * blockSize];
        this.out = new byte[blocksPerBatch * (bound + ZFileFormat.BLOCK_CRC_SIZE)];
        this.stored = new int[blocksPerBatch];
        this.lz4 = algorithm == ZFileAlgorithm.LZ4 ? Lz4BlockEncoder.get() : null;
    }

    static int blocksPerBatch(int blockSize) {
        return Math.max(1, TARGET_BYTES / blockSize);
    }

    boolean isFull() {
        return inLength == in.length;
    }

    /** Compresses {@code in[0..inLength)} into stored blocks; the last block may be short. */
    CompressBatch compress() {
        int outPos = 0;
        blocks = 0;
        for (int p = 0; p < inLength; p += blockSize) {
            int len = Math.min(blockSize, inLength - p);
            int c;
            if (algorithm == ZFileAlgorithm.LZ4) {
                c = lz4.compress(in, p, len, out, outPos, bound);
            } else {
                c = zstd().compressByteArray(out, outPos, bound, in, p, len);
            }
            if (crc) {
                LittleEndian.putInt(out, outPos + c, Crc32c.crcSalt(out, outPos, c));
                c += ZFileFormat.BLOCK_CRC_SIZE;
            }
            stored[blocks++] = c;
            outPos += c;
        }
        outLength = outPos;
        return this;
    }

    /** Empties the batch for reuse. */
    void reset() {
        inLength = 0;
        outLength = 0;
        blocks = 0;
    }

    private ZstdCompressCtx zstd() {
        if (zstd == null) {
            // what ZSTD_compress(level 3) writes: content size in the frame header, no checksum, no dictionary id
            zstd = new ZstdCompressCtx().setLevel(3).setChecksum(false).setContentSize(true);
        }
        return zstd;
    }

    @Override
    public void close() {
        if (zstd != null) {
            zstd.close();
            zstd = null;
        }
    }
}
