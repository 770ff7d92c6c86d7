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

/** The chunk cache alone: presence only after data, whole-blob digest check, size cap. */
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
        String digest = Manifest.sha256(blob);
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
        String digest = Manifest.sha256(blob);
        try (ChunkStore s = cache.store(digest, blob.length)) {
            for (int c = 0; c < 4; c++) {
                int len = Math.min(CHUNK, blob.length - c * CHUNK);
                s.write(c, java.util.Arrays.copyOfRange(blob, c * CHUNK, c * CHUNK + len), len);
            }
        }
        assertThat(cache.isComplete(digest)).isTrue();
        assertThat(Files.readAllBytes(cache.dataFile(digest))).isEqualTo(blob);
        // the same bytes under another digest: complete, but wrong: every chunk is dropped
        String other = Manifest.sha256(data(10, 3));
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
        String da = Manifest.sha256(a);
        String db = Manifest.sha256(b);
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
        try (ChunkStore s = cache.store(Manifest.sha256(data(1, 6)), 1)) {
            assertThat(s.read(0, 0, new byte[1], 0, 1)).isFalse();
        }
        assertThat(Files.exists(cache.dataFile(da))).isFalse();
        assertThat(cache.isComplete(db)).isTrue();
    }
}
