package io.overlaybd.lsmt;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.overlaybd.core.FormatException;
import io.overlaybd.core.MemoryDevice;
import io.overlaybd.testing.DeviceProbe;
import io.overlaybd.testing.FuzzContract;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Fuzz target: a fuzzed sealed layer stacked over a valid lower ({@link LsmtFuzzInputs#validLower()}), read through
 * every read path, merged ({@link LayerStack#merge}), and the merged layer reopened: it must open and read the same
 * bytes as the stack. With options bit 0, the stack also gets a fresh writable upper opened read-write, one sector is
 * written through the stack and must read back. Contract: {@link FuzzContract}; a merge output that does not reopen
 * is a finding (AssertionError). Input: the layer's bytes, then one options byte. Regression inputs:
 * {@code LayerStackFuzzInputs/overValidLower}.
 */
class LayerStackFuzz {
    private static final byte[] LOWER = LsmtFuzzInputs.validLower();

    @FuzzTest
    void overValidLower(byte[] input) {
        FuzzContract.check("LayerStack over a valid lower", () -> run(input));
    }

    static void run(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        int opts = input[input.length - 1];
        try (LsmtLayer lower = LsmtLayer.open(MemoryDevice.wrap(LOWER, 0, LOWER.length, "lower.lsmt"), true);
             LsmtLayer top = LsmtLayer.open(MemoryDevice.wrap(input, 0, input.length - 1, "fuzz.lsmt"), true);
             LayerStack stack = LayerStack.of(List.of(lower, top), StackOptions.DEFAULTS)) {
            DeviceProbe.probe(stack, opts);
            long[] edges = LsmtFuzzInputs.edges(top.index());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            stack.merge(out, CommitOptions.DEFAULTS);
            byte[] merged = out.toByteArray();
            try (LsmtLayer m = reopen(merged, "merged.lsmt")) {
                DeviceProbe.assertSameBytes(stack, m, edges);
            }
            if ((opts & 1) != 0) {
                withWritableUpper(lower, top);
            }
        }
    }

    /** @return the layer in {@code bytes}, which the SDK wrote and so must be able to read. */
    static LsmtLayer reopen(byte[] bytes, String name) throws IOException {
        try {
            return LsmtLayer.open(MemoryDevice.wrap(bytes, 0, bytes.length, name), true);
        } catch (FormatException e) {
            throw new AssertionError("the SDK wrote " + name + " but cannot reopen it: " + e.getMessage(), e);
        }
    }

    private static void withWritableUpper(LsmtLayer lower, LsmtLayer top) throws IOException {
        Path dir = LsmtFuzzInputs.DIR.resolve("upper");
        Files.createDirectories(dir);
        FuzzContract.emptyDir(dir);
        try (WritableLayer upper = WritableLayer.create(dir.resolve("u.data"), dir.resolve("u.index"),
                CreateOptions.ofSize(0));
             LayerStack stack = LayerStack.of(List.of(lower, top), upper, StackOptions.DEFAULTS)) {
            DeviceProbe.probe(stack, 3);
            if (stack.size() >= 1024) {
                byte[] sector = new byte[512];
                java.util.Arrays.fill(sector, (byte) 0x5A);
                long at = (stack.size() / 2) & -512L;
                stack.write(at, sector, 0, 512);
                byte[] back = new byte[512];
                stack.readFully(at, back, 0, 512);
                if (!java.util.Arrays.equals(sector, back)) {
                    throw new AssertionError("a sector written through the stack at " + at + " reads back wrong");
                }
            }
        }
    }
}
