package io.overlaybd.zfile;

import io.overlaybd.core.RandomAccessBlockDevice;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Writes ZFiles byte-compatible with the reference's {@code ZFileBuilder} / {@code zfile_compress} (FORMAT.md §1.7):
 * header (flags {@code 0x13}), blocks each followed by its crcSalt, the u32 jump table, the trailer ({@code 0x16}),
 * optionally the header rewritten with the trailer's values ({@code 0x1B}, as {@code overlaybd-commit -z} does) and
 * optionally the one-member tar wrapper of {@code overlaybd-commit -t} (§6). Every digest and the index CRC are
 * filled in; {@code size} is 96 and reserved bytes are zero.
 *
 * <p>LZ4 blocks come from lz4-java's pure-Java fast compressor, the closest library match to the reference's
 * {@code LZ4_compress_default}: measured on the reference's {@code input.bin}, 1015 of 1025 blocks are identical at
 * 4 KiB, 255 of 257 at 16 KiB and all 65 at 64 KiB (the others end with a different, equally valid last sequence).
 * zstd blocks come from zstd-jni at level 3 (content size in the frame header, no checksum); they equal libzstd
 * 1.5.4's at 4 KiB blocks but may differ at larger block sizes, since the match finder changed between versions.
 * Where blocks differ, so do the sizes, offsets and CRCs that follow from them; every other field is identical.
 *
 * <p>Outputs go to a temporary file renamed onto the target only when complete ({@link ZFileOutputStream}).
 * Immutable and thread-safe: one writer may produce many files concurrently. Build one with {@link #builder()}.
 */
public final class ZFileWriter {
    private final ZFileAlgorithm algorithm;
    private final int blockSize;
    private final boolean blockCrc;
    private final int threads;
    private final boolean overwriteHeader;
    private final boolean tar;

    private ZFileWriter(Builder b) {
        this.algorithm = b.algorithm;
        this.blockSize = b.blockSize;
        this.blockCrc = b.blockCrc;
        this.threads = b.threads;
        this.overwriteHeader = b.overwriteHeader;
        this.tar = b.tar;
    }

    /** @return a builder with the reference's defaults: LZ4, 4 KiB blocks, CRC on, 1 thread, no rewrite, no tar. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Opens a streaming sink whose content becomes the ZFile {@code out}. Close it to finish the file; call
     * {@link ZFileOutputStream#abort()} if producing the content fails (see {@link ZFileOutputStream}).
     *
     * @throws IOException if the temporary file cannot be created
     */
    public ZFileOutputStream openStream(Path out) throws IOException {
        Objects.requireNonNull(out, "out");
        return ZFileOutputStream.start(this, new OutputSink.FileSink(out), out.toString());
    }

    /**
     * Compresses all of {@code in} (read to its end, not closed) into {@code out}. On any failure nothing appears
     * under {@code out}.
     */
    public void write(InputStream in, Path out) throws IOException {
        Objects.requireNonNull(in, "in");
        write(out, s -> s.transferFrom(in));
    }

    /** Compresses all bytes of {@code in} into {@code out}. On any failure nothing appears under {@code out}. */
    public void write(RandomAccessBlockDevice in, Path out) throws IOException {
        Objects.requireNonNull(in, "in");
        write(out, s -> {
            byte[] buf = new byte[1 << 20];
            long size = in.size();
            for (long pos = 0; pos < size; ) {
                int n = (int) Math.min(buf.length, size - pos);
                in.readFully(pos, buf, 0, n);
                s.write(buf, 0, n);
                pos += n;
            }
        });
    }

    /**
     * Runs {@code producer} on a fresh stream to {@code out}, then finishes the file; if the producer throws, the
     * output is discarded and the exception rethrown, so nothing partial ever appears under {@code out}.
     */
    public void write(Path out, ContentProducer producer) throws IOException {
        Objects.requireNonNull(producer, "producer");
        ZFileOutputStream s = openStream(out);
        try {
            producer.writeTo(s);
        } catch (Throwable t) {
            s.abort();
            throw t;
        }
        s.close();
    }

    /** @return the ZFile of {@code content}, built in memory (for tests and small payloads; at most 2 GiB). */
    public byte[] compress(byte[] content) throws IOException {
        OutputSink.MemorySink sink = new OutputSink.MemorySink();
        ZFileOutputStream s = ZFileOutputStream.start(this, sink, "memory");
        try {
            s.write(content, 0, content.length);
        } catch (Throwable t) {
            s.abort();
            throw t;
        }
        s.close();
        return sink.toByteArray();
    }

    /** @return the block codec. */
    public ZFileAlgorithm algorithm() {
        return algorithm;
    }

    /** @return uncompressed bytes per block. */
    public int blockSize() {
        return blockSize;
    }

    /** @return whether each block carries a crcSalt ({@code verify} = 1). */
    public boolean blockCrc() {
        return blockCrc;
    }

    /** @return how many threads compress blocks. */
    public int threads() {
        return threads;
    }

    /** @return whether the header is rewritten with the final metadata (flags 0x1B). */
    public boolean overwriteHeader() {
        return overwriteHeader;
    }

    /** @return whether the ZFile is wrapped in the reference's one-member tar. */
    public boolean tar() {
        return tar;
    }

    @Override
    public String toString() {
        return "ZFileWriter{" + algorithm + ", blockSize=" + blockSize + ", blockCrc=" + blockCrc + ", threads="
                + threads + ", overwriteHeader=" + overwriteHeader + ", tar=" + tar + "}";
    }

    /** Writes the uncompressed content of a ZFile into the stream it is given. */
    @FunctionalInterface
    public interface ContentProducer {
        void writeTo(ZFileOutputStream out) throws IOException;
    }

    /** Options of a {@link ZFileWriter}; not thread-safe (build, then share the writer). */
    public static final class Builder {
        private ZFileAlgorithm algorithm = ZFileAlgorithm.LZ4;
        private int blockSize = 4096;
        private boolean blockCrc = true;
        private int threads = 1;
        private boolean overwriteHeader;
        private boolean tar;

        private Builder() {
        }

        /** LZ4 (default) or zstd. */
        public Builder algorithm(ZFileAlgorithm algorithm) {
            this.algorithm = Objects.requireNonNull(algorithm);
            return this;
        }

        /**
         * Uncompressed bytes per block: a power of two from 4 KiB (default) to 64 KiB, as the reference tools
         * accept. Prefer at most 32 KiB: the C++ reader cannot read a 64 KiB block that does not compress
         * (FORMAT.md §1.5).
         */
        public Builder blockSize(int blockSize) {
            ZFileFormat.requireWriteBlockSize(blockSize);
            this.blockSize = blockSize;
            return this;
        }

        /** Whether each block carries a crcSalt (default true, as every reference tool writes). */
        public Builder blockCrc(boolean on) {
            this.blockCrc = on;
            return this;
        }

        /**
         * Compression threads (default 1); the output is identical for any count. Each thread keeps up to four
         * 1 MiB batches in flight (about 8 MiB of buffers per thread).
         */
        public Builder threads(int threads) {
            if (threads < 1 || threads > 256) {
                throw new IllegalArgumentException("threads must be in 1..256: " + threads);
            }
            this.threads = threads;
            return this;
        }

        /** Rewrite offset 0 with the trailer's values and flags 0x1B (default false). */
        public Builder overwriteHeader(boolean on) {
            this.overwriteHeader = on;
            return this;
        }

        /** Wrap the ZFile in the one-member tar of FORMAT.md §6 (default false). */
        public Builder tar(boolean on) {
            this.tar = on;
            return this;
        }

        public ZFileWriter build() {
            return new ZFileWriter(this);
        }
    }
}
