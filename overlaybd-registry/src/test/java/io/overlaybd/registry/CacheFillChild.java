package io.overlaybd.registry;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The reader process of {@link CacheKillTest}: opens {@code args[0]} (a {@code docker://} reference, plain HTTP)
 * with the persistent cache in {@code args[1]} (64 KiB chunks, one chunk per GET, no memory cache) and reads every
 * layer blob whole from three threads at once, so that chunk writes are under way when the test kills it. Prints
 * {@code open} once the image is open and {@code done} at the end.
 */
public final class CacheFillChild {
    private CacheFillChild() {
    }

    public static void main(String[] args) throws Exception {
        RegistryOptions o = RegistryOptions.builder().plainHttp(true).dockerConfig(false).chunkSize(64 << 10)
                .maxCoalescedChunks(1).memoryChunks(0).cacheDir(Path.of(args[1])).build();
        int threads = 3;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try (RemoteImage remote = RemoteImage.open(args[0], o)) {
            System.out.println("open");
            System.out.flush();
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                done.add(pool.submit(() -> {
                    byte[] b = new byte[64 << 10];
                    for (RemoteBlobDevice d : remote.devices()) {
                        for (long pos = (long) first * b.length; pos < d.size(); pos += (long) threads * b.length) {
                            d.readFully(pos, b, 0, (int) Math.min(b.length, d.size() - pos));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        System.out.println("done");
    }
}
