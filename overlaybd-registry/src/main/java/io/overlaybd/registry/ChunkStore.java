package io.overlaybd.registry;

import java.io.IOException;

/**
 * Where a remote blob keeps the chunks it has fetched beyond its small memory cache: the persistent
 * {@link BlobCache}. Chunks are {@code chunkSize} bytes at multiples of it (the last one shorter). Implementations are
 * thread-safe.
 */
interface ChunkStore extends AutoCloseable {
    /**
     * Copies {@code [offsetInChunk, offsetInChunk+length)} of chunk {@code chunk} into {@code dst} if the chunk is
     * present; a chunk is present only once its bytes are durable.
     *
     * @return false when the chunk is not present (nothing was copied)
     */
    boolean read(long chunk, int offsetInChunk, byte[] dst, int dstOffset, int length) throws IOException;

    /** Stores a whole chunk and then marks it present; or nothing, when the store's size cap leaves no room. */
    void write(long chunk, byte[] data, int length) throws IOException;

    /** Forgets chunks {@code first..last} (inclusive): their bytes are suspect. */
    void evict(long first, long last) throws IOException;

    @Override
    void close() throws IOException;
}
