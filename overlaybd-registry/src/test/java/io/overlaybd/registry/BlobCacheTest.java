package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunk cache alone: presence only after data, every chunk checked against its CRC (torn, cut or garbage data
 * and map files are detected and fetched again), whole-blob digest check, size cap.
 */
class BlobCacheTest {
    static final int CHUNK = 4096;
    @TempDir
    Path dir;

    static byte[] data(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    @Test
    void bytesWrittenWithoutTheirMapByteAreNotPresent() throws Exception {
        byte[] blob = data(5 * CHUNK + 100, 1);
        String digest = Sha256.of(blob);
        BlobCache cache = BlobCache.open(dir, CHUNK, 1 << 30);
        try (ChunkStore s = cache.store(digest, blob.length)) {
            s.write(0, blob, CHUNK);
        }
        // a process killed after writing chunk 3's bytes but before its map byte: garbage, unmarked
        try (FileChannel f = FileChannel.open(cache.dataFile(digest), StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.wrap(data(CHUNK, 9)), 3L * CHUNK);
        }
        try (ChunkStore s = cache.store(digest, blob.length)) {
            byte[] out = new byte[CHUNK];
            assertThat(s.read(0, 0, out, 0, CHUNK)).isTrue();
            assertThat(out).isEqualTo(java.util.Arrays.copyOf(blob, CHUNK));
            assertThat(s.read(3, 0, out, 0, CHUNK)).as("chunk 3 was never marked present").isFalse();
        }
    }

    @Test
    void aCompletedBlobIsTrustedOnlyWhenItsDigestMatches() throws Exception {
        byte[] blob = data(3 * CHUNK + 7, 2);
        BlobCache cache = BlobCache.open(dir, CHUNK, 1 << 30);
        String digest = Sha256.of(blob);
        try (ChunkStore s = cache.store(digest, blob.length)) {
            for (int c = 0; c < 4; c++) {
                int len = Math.min(CHUNK, blob.length - c * CHUNK);
                s.write(c, java.util.Arrays.copyOfRange(blob, c * CHUNK, c * CHUNK + len), len);
            }
        }
        assertThat(cache.isComplete(digest)).isTrue();
        assertThat(Files.readAllBytes(cache.dataFile(digest))).isEqualTo(blob);
        // the same bytes under another digest: complete, but wrong: every chunk is dropped
        String other = Sha256.of(data(10, 3));
        try (ChunkStore s = cache.store(other, blob.length)) {
            for (int c = 0; c < 4; c++) {
                int len = Math.min(CHUNK, blob.length - c * CHUNK);
                s.write(c, java.util.Arrays.copyOfRange(blob, c * CHUNK, c * CHUNK + len), len);
            }
            assertThat(cache.isComplete(other)).isFalse();
            assertThat(s.read(0, 0, new byte[CHUNK], 0, CHUNK)).isFalse();
        }
    }

    @Test
    void theSizeCapDropsTheLeastRecentlyUsedBlob() throws Exception {
        BlobCache cache = BlobCache.open(dir, CHUNK, 6L * CHUNK);
        byte[] a = data(4 * CHUNK, 4);
        byte[] b = data(4 * CHUNK, 5);
        String da = Sha256.of(a);
        String db = Sha256.of(b);
        try (ChunkStore s = cache.store(da, a.length)) {
            for (int c = 0; c < 4; c++) {
                s.write(c, java.util.Arrays.copyOfRange(a, c * CHUNK, (c + 1) * CHUNK), CHUNK);
            }
        }
        Files.setLastModifiedTime(dir.resolve(BlobCache.hex(da) + ".map"),
                java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        try (ChunkStore s = cache.store(db, b.length)) {
            for (int c = 0; c < 4; c++) {
                s.write(c, java.util.Arrays.copyOfRange(b, c * CHUNK, (c + 1) * CHUNK), CHUNK);
            }
        }
        // 8 chunks cached, cap 6: opening another blob drops the older one
        try (ChunkStore s = cache.store(Sha256.of(data(1, 6)), 1)) {
            assertThat(s.read(0, 0, new byte[1], 0, 1)).isFalse();
        }
        assertThat(Files.exists(cache.dataFile(da))).isFalse();
        assertThat(cache.isComplete(db)).isTrue();
    }

    static Path regress(String name) throws Exception {
        return Path.of(BlobCacheTest.class.getResource("/regress/" + name).toURI());
    }

    /** Fills chunks {@code 0..n-1} of {@code blob} into a store of {@code cache}. */
    static void fill(BlobCache cache, String digest, byte[] blob, int n) throws Exception {
        try (ChunkStore s = cache.store(digest, blob.length)) {
            for (int c = 0; c < n; c++) {
                int len = Math.min(CHUNK, blob.length - c * CHUNK);
                s.write(c, java.util.Arrays.copyOfRange(blob, c * CHUNK, c * CHUNK + len), len);
            }
        }
    }

    /** @return which of the blob's chunks a new store reads back, each compared with the blob's bytes. */
    static java.util.List<Integer> readable(BlobCache cache, String digest, byte[] blob) throws Exception {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        try (ChunkStore s = cache.store(digest, blob.length)) {
            for (int c = 0; c * CHUNK < blob.length; c++) {
                int len = Math.min(CHUNK, blob.length - c * CHUNK);
                byte[] got = new byte[len];
                if (s.read(c, 0, got, 0, len)) {
                    assertThat(got).as("chunk %d", c).isEqualTo(java.util.Arrays.copyOfRange(blob, c * CHUNK,
                            c * CHUNK + len));
                    out.add(c);
                }
            }
        }
        return out;
    }

    /**
     * Regression ({@code regress/cache-chunk-garbage.bin}): garbage in a present chunk's data was served as the
     * blob's bytes unless a ZFile CRC happened to cover it (never for a raw LSMT layer or a ZFile's index).
     */
    @Test
    void garbageInAPresentChunkIsDetectedAndFetchedAgain() throws Exception {
        byte[] blob = data(4 * CHUNK, 11);
        String digest = Sha256.of(blob);
        BlobCache cache = BlobCache.open(dir, CHUNK, 1 << 30);
        fill(cache, digest, blob, 3);
        try (FileChannel f = FileChannel.open(cache.dataFile(digest), StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.wrap(Files.readAllBytes(regress("cache-chunk-garbage.bin"))), CHUNK + 1000);
        }
        assertThat(readable(cache, digest, blob)).containsExactly(0, 2);
        // evicted: filling it again makes it whole, and the blob completes
        try (ChunkStore s = cache.store(digest, blob.length)) {
            s.write(1, java.util.Arrays.copyOfRange(blob, CHUNK, 2 * CHUNK), CHUNK);
            s.write(3, java.util.Arrays.copyOfRange(blob, 3 * CHUNK, 4 * CHUNK), CHUNK);
        }
        assertThat(readable(cache, digest, blob)).containsExactly(0, 1, 2, 3);
        assertThat(cache.isComplete(digest)).isTrue();
    }

    /**
     * Regression ({@code regress/cache-map-garbage-entries.map}): a map whose entries are garbage marked chunks
     * present that were never written, and the data file's holes were served as zeros.
     */
    @Test
    void aGarbageMapMarksNothingPresent() throws Exception {
        byte[] blob = data(3 * CHUNK + 100, 12); // the size the regression map's header names
        String digest = Sha256.of(blob);
        BlobCache cache = BlobCache.open(dir, CHUNK, 1 << 30);
        Files.copy(regress("cache-map-garbage-entries.map"), dir.resolve(BlobCache.hex(digest) + ".map"));
        assertThat(readable(cache, digest, blob)).isEmpty();
        fill(cache, digest, blob, 4);
        assertThat(readable(cache, digest, blob)).containsExactly(0, 1, 2, 3);
    }

    @Test
    void tornMapsAndCutDataFilesStartOverOrRefetch() throws Exception {
        byte[] blob = data(5 * CHUNK, 13);
        String digest = Sha256.of(blob);
        BlobCache cache = BlobCache.open(dir, CHUNK, 1 << 30);
        Path map = dir.resolve(BlobCache.hex(digest) + ".map");
        // a header torn in the middle: the blob starts over
        fill(cache, digest, blob, 5);
        try (FileChannel f = FileChannel.open(map, StandardOpenOption.WRITE)) {
            f.truncate(13);
        }
        assertThat(readable(cache, digest, blob)).isEmpty();
        assertThat(cache.isComplete(digest)).isFalse();
        // the map cut inside the entries: the chunks past the cut are absent
        fill(cache, digest, blob, 5);
        try (FileChannel f = FileChannel.open(map, StandardOpenOption.WRITE)) {
            f.truncate(CacheMapFormat.HEADER + 2L * CacheMapFormat.ENTRY + 2);
        }
        assertThat(readable(cache, digest, blob)).containsExactly(0, 1);
        // a torn entry (its CRC half old, half new) and a data file cut inside chunk 3: both fetched again
        fill(cache, digest, blob, 5);
        try (FileChannel f = FileChannel.open(map, StandardOpenOption.WRITE)) {
            f.write(ByteBuffer.wrap(new byte[] {0x5A, 0x5A}), CacheMapFormat.HEADER + CacheMapFormat.ENTRY + 2);
        }
        try (FileChannel f = FileChannel.open(cache.dataFile(digest), StandardOpenOption.WRITE)) {
            f.truncate(3L * CHUNK + 10);
        }
        assertThat(readable(cache, digest, blob)).containsExactly(0, 2);
        // a map of the old format (one presence byte a chunk): started over, never misread
        fill(cache, digest, blob, 5);
        byte[] old = new byte[CacheMapFormat.HEADER + 5];
        ByteBuffer.wrap(old).put("OBDCACHE".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).putInt(CHUNK)
                .putInt(0).putLong(blob.length).put(new byte[] {1, 1, 1, 1, 1});
        Files.write(map, old);
        assertThat(readable(cache, digest, blob)).isEmpty();
    }
}
