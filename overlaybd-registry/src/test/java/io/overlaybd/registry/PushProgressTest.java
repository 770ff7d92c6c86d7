package io.overlaybd.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.testing.InteropFixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The push progress callback against a real registry: bytes done out of the total of every blob (layers and
 * config), strictly increasing, updated while a blob goes out (PATCH by PATCH and within a PUT), ending at the total;
 * blobs already there or mounted count as done.
 */
class PushProgressTest {
    @TempDir
    Path tmp;

    static List<Path> layers() {
        return RegistryInteropTest.files(List.of("lsmt/layer1.lz4.zfile", "lsmt/layer2.lsmt"));
    }

    static long layerBytes() throws Exception {
        long n = 0;
        for (Path p : layers()) {
            n += Files.size(p);
        }
        return n;
    }

    /** Records every call; checks the invariants every push must keep. */
    static final class Recorder implements ImagePuller.Progress {
        final List<long[]> calls = new CopyOnWriteArrayList<>();

        @Override
        public void update(long bytesDone, long bytesTotal) {
            calls.add(new long[] {bytesDone, bytesTotal});
        }

        /** @return the total every call reported, after checking monotony and the end. */
        long checked() {
            assertThat(calls).isNotEmpty();
            long total = calls.get(0)[1];
            long last = -1;
            for (long[] c : calls) {
                assertThat(c[1]).as("the total never changes").isEqualTo(total);
                assertThat(c[0]).as("strictly increasing").isGreaterThan(last).isLessThanOrEqualTo(total);
                last = c[0];
            }
            assertThat(last).as("ends at the total").isEqualTo(total);
            return total;
        }
    }

    @FunctionalInterface
    interface OnRegistry {
        void run(LocalRegistry registry) throws Exception;
    }

    /** Runs {@code test} on a registry of its own. */
    void onRegistry(OnRegistry test) throws Exception {
        InteropFixtures.dir();
        try (LocalRegistry registry = LocalRegistry.start(tmp, "", "")) {
            test.run(registry);
        }
    }

    static ImagePusher pusher(Recorder r) {
        return ImagePusher.create(RegistryOptions.builder().plainHttp(true).dockerConfig(false).build())
                .withProgress(r);
    }

    @Test
    void uploadsReportBytesAsTheyGoOutAndEndAtTheTotal() throws Exception {
        onRegistry(PushProgressTest::uploadsReportBytesAsTheyGoOut);
    }

    private static void uploadsReportBytesAsTheyGoOut(LocalRegistry registry) throws Exception {
        Recorder chunked = new Recorder();
        // layer2.lsmt (2.7 MB) goes out in 256 KiB PATCHes, layer1 (1.1 MB) and the config with one PUT each
        ImagePusher.Result r = pusher(chunked).withChunkedUpload(2 << 20, 256 << 10).push(layers(),
                registry.ref("progress/a:1"));
        assertThat(r.uploaded()).isEqualTo(3);
        long total = chunked.checked();
        assertThat(total).as("layers and config").isGreaterThan(layerBytes()).isLessThan(layerBytes() + 4096);
        long layer1 = Files.size(layers().get(0));
        long layer2End = layer1 + Files.size(layers().get(1));
        long within = chunked.calls.stream().filter(c -> c[0] > layer1 && c[0] < layer2End).count();
        assertThat(within).as("updates while layer2's PATCHes go out").isGreaterThanOrEqualTo(10);
        assertThat(chunked.calls.stream().filter(c -> c[0] > 0 && c[0] < layer1).count())
                .as("updates within layer1's PUT").isGreaterThanOrEqualTo(1);
    }

    @Test
    void blobsAlreadyThereOrMountedCountAsDone() throws Exception {
        onRegistry(PushProgressTest::blobsAlreadyThereOrMountedCountAsDone);
    }

    private static void blobsAlreadyThereOrMountedCountAsDone(LocalRegistry registry) throws Exception {
        pusher(new Recorder()).push(layers(), registry.ref("progress/b:1"));
        Recorder present = new Recorder();
        ImagePusher.Result again = pusher(present).push(layers(), registry.ref("progress/b:2"));
        assertThat(again.skipped()).isEqualTo(3);
        long total = present.checked();
        assertThat(present.calls).as("one call per blob: each done at once").hasSize(3);
        assertThat(present.calls.get(0)[0]).isEqualTo(Files.size(layers().get(0)));

        Recorder mounted = new Recorder();
        ImagePusher.Result m = pusher(mounted).withMountFrom(List.of("progress/b")).push(layers(),
                registry.ref("progress/c:1"));
        assertThat(m.mounted()).isEqualTo(3);
        assertThat(mounted.checked()).isEqualTo(total);
        assertThat(mounted.calls).hasSize(3);
    }
}
