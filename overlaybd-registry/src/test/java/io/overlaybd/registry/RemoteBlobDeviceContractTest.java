package io.overlaybd.registry;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.testing.RandomAccessBlockDeviceContract;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** The device contract on blobs of a real registry, read through 64 KiB chunks, with and without the cache. */
class RemoteBlobDeviceContractTest {
    @TempDir
    static Path tmp;
    static LocalRegistry registry;
    static final Set<String> uploaded = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void start() throws Exception {
        registry = LocalRegistry.start(tmp, "", "");
    }

    @AfterAll
    static void stop() {
        if (registry != null) {
            registry.close();
        }
    }

    static RandomAccessBlockDevice remote(byte[] content, Path cacheDir) throws Exception {
        String digest = Sha256.of(content);
        if (uploaded.add(digest)) {
            TestImages.uploadBlob(registry, "contract/blob", content);
        }
        RegistryOptions o = RegistryOptions.builder().plainHttp(true).dockerConfig(false).chunkSize(64 << 10)
                .memoryChunks(2).build();
        RegistryClient client = RegistryClient.open(registry.ref("contract/blob:x"), o);
        ChunkStore store = cacheDir == null ? null : BlobCache.open(cacheDir, o.chunkSize(), 1L << 30).store(digest,
                content.length);
        return RemoteBlobDevice.open(client, "contract/blob", digest, content.length, store);
    }

    @Nested
    class WithoutCache extends RandomAccessBlockDeviceContract {
        @Override
        protected RandomAccessBlockDevice open(byte[] content) throws Exception {
            return remote(content, null);
        }
    }

    @Nested
    class WithCache extends RandomAccessBlockDeviceContract {
        @Override
        protected RandomAccessBlockDevice open(byte[] content) throws Exception {
            return remote(content, tmp.resolve("cache"));
        }
    }
}
