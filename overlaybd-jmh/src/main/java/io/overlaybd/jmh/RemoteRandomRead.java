package io.overlaybd.jmh;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.image.Image;
import io.overlaybd.lsmt.LayerStack;
import io.overlaybd.registry.ImagePusher;
import io.overlaybd.registry.ImageReference;
import io.overlaybd.registry.RegistryOptions;
import io.overlaybd.registry.RemoteImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Random 4 KiB reads of an image in a registry against the same layer files read locally, in one run: the
 * {@link StackRandomRead} stack of 3 ZFile layers (LZ4, 4 KiB blocks; 192 MiB of writes in the first 256 MiB of a
 * 1 GiB device), pushed to Debian's {@code docker-registry} on 127.0.0.1 and read through
 * {@link RemoteImage}: {@code local} (the files), {@code warm} (a persistent cache filled in setup by reading every
 * offset once, plus the per-blob memory chunks), {@code cold} (no persistent cache and one memory chunk: almost every
 * read is a ranged GET of one chunk). Goal: warm at least 0.8x local. Bytes read are compared with the local stack
 * in setup.
 *
 * <p>Run: {@code java -jar overlaybd-jmh/target/benchmarks.jar RemoteRandomRead -f 1 -wi 2 -w 2s -i 4 -r 2s}
 * (needs {@code docker-registry} on the PATH; files, registry storage and cache live under {@code java.io.tmpdir}
 * and are deleted at the end).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(1)
public class RemoteRandomRead {
    private static final int READ = 4096;
    private static final int OFFSETS = 1 << 14;

    @Param({"local", "warm", "cold"})
    public String mode;

    @Param({"262144"})
    public int chunk;

    private Path dir;
    private BenchRegistry registry;
    private Image local;
    private RemoteImage remote;
    private RandomAccessBlockDevice device;
    private long[] offsets;

    /** Per-thread read buffer and position in the offset table. */
    @State(Scope.Thread)
    public static class Cursor {
        final byte[] buf = new byte[READ];
        int next;
    }

    @Setup(Level.Trial)
    public void setup() throws Exception {
        dir = Files.createTempDirectory("remote-read-bench");
        byte[] content = MixedContent.generate(64 << 20);
        try (LayerStack built = StackRandomRead.build(dir.resolve("layers"), "zfile", 3, "overlapping", content,
                "pread")) {
            built.size();
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir.resolve("layers"))) {
            files = s.filter(p -> p.toString().endsWith(".zfile")).sorted().toList();
        }
        SplittableRandom r = new SplittableRandom(7);
        offsets = new long[OFFSETS];
        for (int i = 0; i < OFFSETS; i++) {
            offsets[i] = r.nextLong(StackRandomRead.SPAN / READ) * READ;
        }
        local = Image.open(files);
        if (mode.equals("local")) {
            device = local.device();
            return;
        }
        registry = BenchRegistry.start(dir);
        RegistryOptions.Builder b = RegistryOptions.builder().plainHttp(true).dockerConfig(false).chunkSize(chunk);
        ImageReference ref = ImageReference.parse("docker://" + registry.host() + "/bench/stack:3");
        ImagePusher.create(b.build()).push(files, ref);
        if (mode.equals("warm")) {
            b.cacheDir(dir.resolve("cache"));
        } else {
            b.memoryChunks(1);
        }
        remote = RemoteImage.open(ref, b.build());
        device = remote.image().device();
        byte[] x = new byte[READ];
        byte[] y = new byte[READ];
        int check = mode.equals("warm") ? OFFSETS : 500; // warm: every offset once, which fills the cache
        for (int i = 0; i < check; i++) {
            device.readFully(offsets[i], x, 0, READ);
            local.device().readFully(offsets[i], y, 0, READ);
            if (!Arrays.equals(x, y)) {
                throw new IllegalStateException("remote bytes differ at " + offsets[i]);
            }
        }
        System.out.printf("%n[RemoteRandomRead] %s, chunk %d: %d bytes fetched in setup%n", mode, chunk,
                remote.bytesFetched());
    }

    @Benchmark
    public int read(Cursor c) throws IOException {
        int i = c.next++ & (OFFSETS - 1);
        device.read(offsets[i], c.buf, 0, READ);
        return c.buf[i & (READ - 1)];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (remote != null) {
            remote.close();
        }
        local.close();
        if (registry != null) {
            registry.close();
        }
        LsmtBenchData.deleteTree(dir);
    }
}
