package io.overlaybd.jmh;

import io.overlaybd.core.FileAccess;
import io.overlaybd.core.FileDevice;
import io.overlaybd.core.MappedFileDevice;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.lsmt.CommitOptions;
import io.overlaybd.lsmt.CreateOptions;
import io.overlaybd.lsmt.LayerStack;
import io.overlaybd.lsmt.LsmtLayer;
import io.overlaybd.lsmt.StackOptions;
import io.overlaybd.lsmt.WritableLayer;
import io.overlaybd.zfile.ZFileDevice;
import io.overlaybd.zfile.ZFileWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
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
 * Random 4 KiB reads on an LSMT stack (REFERENCE-PERF.md (iv)): a 1 GiB device whose layers together received
 * 192 MiB of writes of 4-64 KiB at random 4 KiB-aligned offsets in the first 256 MiB (data copied from
 * {@link MixedContent}), committed raw or as ZFile (LZ4, 4 KiB blocks, CRC). The same write sequence is split evenly
 * over {@code layers} layers, so 1, 3, 64 and 255 layers read as the same content (checked in setup against the
 * one-layer stack); 3 layers is the reference's case (64 MiB per layer). With {@code writes=disjoint} the writes are
 * every other chunk of the span instead, none overlapping, so that more layers do not store more bytes. Reads are at
 * 4 KiB-aligned uniform offsets in the first 256 MiB (about half land in holes). The reference measured 864k (raw)
 * and 583k (ZFile) reads/s on one thread; goal for 64/255 layers: at least 0.95x the one-layer rate.
 *
 * <p>Run: {@code java -jar overlaybd-jmh/target/benchmarks.jar StackRandomRead -f 1 -wi 3 -w 2s -i 5 -r 2s}
 * (add {@code -t 2} for two threads sharing the stack; {@code -p format=raw -p layers=3} to narrow). Layer files are
 * built once per fork under {@code java.io.tmpdir} and deleted at the end.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class StackRandomRead {
    static final long VSIZE = 1L << 30;
    static final long SPAN = 256L << 20;
    static final long TOTAL = 192L << 20;
    private static final int READ = 4096;
    private static final int OFFSETS = 1 << 16;

    @Param({"raw", "zfile"})
    public String format;

    @Param({"3", "1", "64", "255"})
    public int layers;

    /**
     * The write sequence: {@code overlapping} (random offsets, later writes hiding earlier ones, so more layers store
     * more bytes: the overwritten data of lower layers) or {@code disjoint} (every other chunk of the span, in random
     * order, none overlapping: any number of layers stores the same bytes, so only the per-layer cost shows).
     */
    @Param({"overlapping", "disjoint"})
    public String writes;

    /**
     * How layer files are read: positional reads ({@link FileDevice}), a mapping ({@link MappedFileDevice}), or as
     * {@link FileAccess#AUTO} picks (the SDK's default: mapped on Java 25+, positional before).
     */
    @Param({"pread", "mmap", "auto"})
    public String io;

    private Path dir;
    private LayerStack stack;
    private long[] offsets;

    /** Per-thread read buffer and position in the offset table. */
    @State(Scope.Thread)
    public static class Cursor {
        final byte[] buf = new byte[READ];
        int next;
    }

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("lsmt-stack-bench");
        try {
            byte[] content = MixedContent.generate(64 << 20);
            stack = build(dir, format, layers, writes, content, io);
            SplittableRandom r = new SplittableRandom(7);
            offsets = new long[OFFSETS];
            for (int i = 0; i < OFFSETS; i++) {
                offsets[i] = r.nextLong(SPAN / READ) * READ;
            }
            String dump = System.getProperty("overlaybd.bench.dump");
            if (dump != null) { // for the reference's refbench stack: the same layer files and offsets
                Path to = Files.createDirectories(Path.of(dump, "stack-" + format + "-" + layers
                        + (writes.equals("disjoint") ? "-disjoint" : "")));
                Files.write(to.resolve("offsets.u64"), ZFileBenchInput.u64(offsets));
                for (int k = 0; k < layers; k++) {
                    String name = layerFile(format, k);
                    Files.copy(dir.resolve(name), to.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            if (layers != 1 || !format.equals("raw")) {
                try (LayerStack one = build(dir.resolve("check"), "raw", 1, writes, content, "pread")) {
                    verify(stack, one);
                }
            }
        } catch (IOException | RuntimeException e) {
            if (stack != null) {
                stack.close();
            }
            LsmtBenchData.deleteTree(dir);
            throw e;
        }
        long stored = 0;
        for (int k = 0; k < layers; k++) {
            stored += Files.size(dir.resolve(layerFile(format, k)));
        }
        System.out.printf("%n[StackRandomRead] %s, %d layers, %s writes, %s, %.1f MB in layer files, merged index %d "
                + "segments (%.2f bytes/segment)%n", format, layers, writes, io, stored / 1e6,
                stack.mergedIndex().size(), stack.mergedIndex().bytesPerSegment());
    }

    /** @return the name of layer file {@code k} (0 lowest) of a stack of {@code format} layers */
    static String layerFile(String format, int k) {
        return "l" + k + (format.equals("raw") ? ".lsmt" : ".lz4.zfile");
    }

    static LayerStack build(Path dir, String format, int layers, String sequence, byte[] content, String io)
            throws IOException {
        Files.createDirectories(dir);
        // one write sequence (position, length, source offset), split evenly over the layers by count
        SplittableRandom r = new SplittableRandom(20240601);
        List<long[]> writes = new ArrayList<>();
        if (sequence.equals("disjoint")) {
            // chunks of 4-64 KiB laid end to end over the span; every other one is written, in a random order
            boolean take = true;
            for (long pos = 0; pos < SPAN; take = !take) {
                int len = (int) Math.min((1 + r.nextInt(16)) * 4096L, SPAN - pos);
                if (take) {
                    writes.add(new long[] {pos, len, r.nextInt((content.length - len) / 4096) * 4096});
                }
                pos += len;
            }
            java.util.Collections.shuffle(writes, new java.util.Random(r.nextLong()));
        } else {
            for (long done = 0; done < TOTAL; ) {
                int len = (1 + r.nextInt(16)) * 4096;
                long pos = r.nextLong((SPAN - len) / 4096) * 4096;
                int src = r.nextInt((content.length - len) / 4096) * 4096;
                writes.add(new long[] {pos, len, src});
                done += len;
            }
        }
        List<LsmtLayer> out = new ArrayList<>();
        for (int k = 0; k < layers; k++) {
            Path data = dir.resolve("l" + k + ".data");
            Path index = dir.resolve("l" + k + ".index");
            Path file = dir.resolve(layerFile(format, k));
            try (WritableLayer w = WritableLayer.create(data, index, new CreateOptions(VSIZE, null, null, null))) {
                int from = (int) ((long) writes.size() * k / layers);
                int to = (int) ((long) writes.size() * (k + 1) / layers);
                for (long[] wr : writes.subList(from, to)) {
                    w.write(wr[0], content, (int) wr[2], (int) wr[1]);
                }
                if (format.equals("raw")) {
                    w.commit(file, CommitOptions.DEFAULTS);
                } else {
                    ZFileWriter.builder().build().write(file, s -> w.commit(s, CommitOptions.DEFAULTS));
                }
            }
            Files.delete(data);
            Files.delete(index);
            RandomAccessBlockDevice blob = switch (io) {
                case "mmap" -> MappedFileDevice.open(file);
                case "auto" -> FileAccess.AUTO.open(file);
                default -> FileDevice.open(file);
            };
            if (!format.equals("raw")) {
                blob = ZFileDevice.open(blob, true);
            }
            out.add(LsmtLayer.open(blob, true));
        }
        return LayerStack.of(out, StackOptions.DEFAULTS.withOwnsLayers(true));
    }

    private void verify(LayerStack a, LayerStack b) throws IOException {
        byte[] x = new byte[READ];
        byte[] y = new byte[READ];
        for (int i = 0; i < 2000; i++) {
            long pos = offsets[i];
            a.readFully(pos, x, 0, READ);
            b.readFully(pos, y, 0, READ);
            if (!Arrays.equals(x, y)) {
                throw new IllegalStateException("stack of " + layers + " " + format + " layers differs at " + pos);
            }
        }
    }

    @Benchmark
    public int read(Cursor c) throws IOException {
        int i = c.next++ & (OFFSETS - 1);
        stack.read(offsets[i], c.buf, 0, READ);
        return c.buf[i & (READ - 1)];
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        stack.close();
        LsmtBenchData.deleteTree(dir);
    }
}
