package io.overlaybd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.lsmt.CreateOptions;
import io.overlaybd.lsmt.WritableLayer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kill anywhere, lose nothing: each command runs in a child JVM that is killed ({@link Process#destroyForcibly()},
 * SIGKILL) at a random moment, half of the rounds anywhere in its run and half while it writes its output (once
 * its temporary file exists). After every kill: a file under the final name exists only when it is complete and
 * valid (byte-identical to the output of an unkilled run of the same command); anything else the command left is a
 * hidden temporary file; the inputs are unchanged. The writable-layer test kills a sequence of writes and discards
 * with flushes and reopens the layer: it holds every operation done before the last flush it reported and a prefix
 * of the later ones. {@code -Dkill.rounds=N} sets the rounds per command (default 4); the random moments come from
 * {@code -Dkill.seed} (default: the time, printed with each result line).
 */
class KillAnywhereTest {
    static final int ROUNDS = Integer.getInteger("kill.rounds", 4);
    static long seed; // read for each run of the class, see makeInputs
    static final long LIMIT_SECONDS = 60;

    @TempDir
    static Path inputs;
    static KillTestFiles files;
    static Map<Path, String> hashes;

    @TempDir
    Path out;

    @BeforeAll
    static void makeInputs() throws IOException {
        seed = Long.getLong("kill.seed", System.nanoTime());
        files = KillTestFiles.create(inputs);
        hashes = files.hashes();
    }

    @Test
    void zfileCompress() throws Exception {
        killRounds("zfile compress", out.resolve("out.zfile"), "zfile", "compress", "--algorithm", "zstd",
                files.content.toString(), out.resolve("out.zfile").toString());
    }

    @Test
    void layerCommit() throws Exception {
        killRounds("layer commit -z", out.resolve("out.lsmt.zfile"), "layer", "commit", "-z", files.data.toString(),
                files.index.toString(), out.resolve("out.lsmt.zfile").toString());
    }

    @Test
    void merge() throws Exception {
        killRounds("merge", out.resolve("merged.zfile"), "merge", "-o", out.resolve("merged.zfile").toString(),
                files.base.toString(), files.top.toString());
    }

    @Test
    void export() throws Exception {
        killRounds("export", out.resolve("disk.img"), "export", "-o", out.resolve("disk.img").toString(),
                files.base.toString(), files.top.toString());
    }

    /** Runs the command once to completion, then {@link #ROUNDS} times killed; see the class comment. */
    private void killRounds(String what, Path target, String... args) throws Exception {
        // the reference: how long it runs, when its temporary file appears, and the bytes it writes
        long t0 = System.nanoTime();
        Process ref = ChildJvm.cli(out, args);
        long tempAt = waitForTemporary(ref, target);
        assertThat(ref.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)).as(what + " finishes").isTrue();
        long total = System.nanoTime() - t0;
        String err = new String(ref.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ref.exitValue()).as(what + ": " + err).isZero();
        String expected = Cli.sha256(target);
        Files.delete(target);
        long writing = tempAt > 0 ? total - tempAt : total;

        Random r = new Random(seed ^ what.hashCode());
        int killedRunning = 0;
        int complete = 0;
        for (int round = 0; round < ROUNDS; round++) {
            Process p = ChildJvm.cli(out, args);
            if (round % 2 == 1) {
                waitForTemporary(p, target);
                sleepNanos((long) (r.nextDouble() * 0.8 * writing)); // 0.8: a later run may be faster
            } else {
                sleepNanos((long) (r.nextDouble() * 0.8 * total));
            }
            if (p.isAlive()) {
                killedRunning++;
            }
            p.destroyForcibly();
            assertThat(p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            if (Files.exists(target)) {
                complete++;
                assertThat(Cli.sha256(target)).as(what + ": the file under the final name after a kill in round "
                        + round).isEqualTo(expected);
                Files.delete(target);
            }
            List<String> left = KillTestFiles.others(out, List.of());
            KillTestFiles.assertOnlyTemporaries(left, target.getFileName().toString());
            for (String n : left) {
                Files.delete(out.resolve(n));
            }
            assertThat(files.hashes()).as(what + ": inputs after round " + round).isEqualTo(hashes);
        }
        System.out.printf("kill %s: %d rounds, %d killed while running, %d complete outputs (run %d ms, writing %d"
                + " ms, seed %d)%n", what, ROUNDS, killedRunning, complete, total / 1_000_000, writing / 1_000_000, seed);
        assertThat(killedRunning).as(what + ": rounds that killed a running command").isPositive();
    }

    /** @return nanoseconds from now until {@code target}'s temporary file appeared (0 if the process ended first). */
    private long waitForTemporary(Process p, Path target) throws Exception {
        long start = System.nanoTime();
        String prefix = "." + target.getFileName() + ".";
        while (p.isAlive()) {
            try (var s = Files.list(target.getParent())) {
                if (s.anyMatch(f -> f.getFileName().toString().startsWith(prefix))) {
                    return System.nanoTime() - start;
                }
            }
            if (System.nanoTime() - start > TimeUnit.SECONDS.toNanos(LIMIT_SECONDS)) {
                throw new AssertionError("no temporary file for " + target + " after " + LIMIT_SECONDS + " s");
            }
            Thread.sleep(1);
        }
        return 0;
    }

    private static void sleepNanos(long nanos) throws InterruptedException {
        TimeUnit.NANOSECONDS.sleep(Math.max(0, nanos));
    }

    @Test
    void writeDiscardFlushSequence() throws Exception {
        int ops = 400;
        Random r = new Random(seed);
        int killedRunning = 0;
        List<String> results = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            Path data = out.resolve("w" + round + ".data");
            Path index = out.resolve("w" + round + ".index");
            WritableLayer.create(data, index, CreateOptions.ofSize(WriteSequenceChild.SIZE)).close();
            long opSeed = seed + round;
            Process p = ChildJvm.start(out, ChildJvm.command(WriteSequenceChild.class, data.toString(),
                    index.toString(), Long.toString(opSeed), Integer.toString(ops)));
            AtomicInteger flushed = new AtomicInteger();
            AtomicLong firstFlushAt = new AtomicLong();
            Thread reader = new Thread(() -> readFlushes(p, flushed, firstFlushAt));
            reader.start();
            long start = System.nanoTime();
            while (flushed.get() == 0 && p.isAlive() && System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30)) {
                Thread.sleep(1);
            }
            long pace = Math.max(1, System.nanoTime() - start);
            // somewhere from the first flush to about as long again (the sequence runs for a while after it)
            sleepNanos((long) (r.nextDouble() * pace));
            if (p.isAlive()) {
                killedRunning++;
            }
            p.destroyForcibly();
            assertThat(p.waitFor(LIMIT_SECONDS, TimeUnit.SECONDS)).isTrue();
            reader.join(TimeUnit.SECONDS.toMillis(LIMIT_SECONDS));
            int seen = flushed.get();
            int holds = operationsHeld(data, index, opSeed, ops, seen);
            results.add(seen + "->" + holds);
            // the layer stays usable: a write after the reopen lands
            try (WritableLayer w = WritableLayer.open(data, index)) {
                byte[] s = new byte[512];
                Arrays.fill(s, (byte) 7);
                w.write(0, s, 0, 512);
                w.flush();
                byte[] back = new byte[512];
                w.readFully(0, back, 0, 512);
                assertThat(back).isEqualTo(s);
            }
        }
        System.out.printf("kill layer write/discard/flush: %d rounds, %d killed while running, flushed->held %s"
                + " (seed %d)%n", ROUNDS, killedRunning, results, seed);
        assertThat(killedRunning).isPositive();
    }

    private static void readFlushes(Process p, AtomicInteger flushed, AtomicLong firstFlushAt) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.startsWith("flushed ")) {
                    flushed.set(Integer.parseInt(line.substring(8)));
                    firstFlushAt.compareAndSet(0, System.nanoTime());
                }
            }
        } catch (IOException ignored) {
            // the child was killed mid-line
        }
    }

    /**
     * @return the number k of operations whose result the reopened layer holds: the layer must read exactly as
     *         operations 0..k-1 applied to zeros, for some k &ge; {@code flushed} (every flushed operation, then a
     *         prefix of the rest)
     */
    private static int operationsHeld(Path data, Path index, long seed, int ops, int flushed) throws IOException {
        byte[] actual = new byte[WriteSequenceChild.SIZE];
        try (WritableLayer w = WritableLayer.openReadOnly(data, index)) {
            assertThat(w.size()).isEqualTo(WriteSequenceChild.SIZE);
            w.readFully(0, actual, 0, actual.length);
        }
        byte[] model = new byte[WriteSequenceChild.SIZE];
        for (int k = 0; k <= ops; k++) {
            if (k >= flushed && Arrays.equals(model, actual)) {
                return k;
            }
            if (k < ops) {
                WriteSequenceChild.op(seed, k).applyTo(model);
            }
        }
        int at = Arrays.mismatch(model, actual);
        throw new AssertionError("the reopened layer (" + flushed + " operations flushed) matches no prefix of the"
                + " sequence at or after the last flush; it differs from all " + ops + " at offset " + at);
    }
}
