package io.overlaybd.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LayerImport}: bad disks refused before anything is written; concurrent imports are independent. */
class LayerImportTest {
    @TempDir
    Path tmp;

    @Test
    void aDiskThatIsNoWholeNumberOfSectorsIsRefusedAndNothingIsWritten() throws Exception {
        Path disk = Files.write(tmp.resolve("odd.img"), new byte[1000]);
        Path out = tmp.resolve("out");
        assertThatThrownBy(() -> LayerImport.importDisk(disk, out, LayerImport.Options.DEFAULTS))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(disk.toString())
                .hasMessageContaining("size 1000 is not a positive multiple of 512");
        Path empty = Files.write(tmp.resolve("empty.img"), new byte[0]);
        assertThatThrownBy(() -> LayerImport.importDisk(empty, out, LayerImport.Options.DEFAULTS))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(out).doesNotExist();
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("odd.img", "empty.img");
        }
        assertThatThrownBy(() -> LayerImport.Options.DEFAULTS.withThreads(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concurrentImportsOfOneDiskGiveTheSameLayer() throws Exception {
        byte[] d = new byte[3 << 20];
        new Random(4).nextBytes(d);
        java.util.Arrays.fill(d, 1 << 20, 2 << 20, (byte) 0);
        Path disk = Files.write(tmp.resolve("disk.img"), d);
        UUID u = UUID.randomUUID();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<byte[]>> results = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Path out = tmp.resolve("l" + i);
                int threads = 1 + i % 2;
                results.add(pool.submit(() -> {
                    LayerImport.importDisk(disk, out, LayerImport.Options.DEFAULTS.withUuid(u).withThreads(threads));
                    return Files.readAllBytes(out);
                }));
            }
            byte[] first = results.get(0).get();
            for (Future<byte[]> f : results) {
                assertThat(f.get()).isEqualTo(first); // the output does not depend on threads or on other imports
            }
            assertThat(first.length).isEqualTo(8192 + (2 << 20) + 4096); // the data, one index page, header, trailer
        } finally {
            pool.shutdownNow();
        }
    }
}
