package io.overlaybd.lsmt;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.overlaybd.core.FileDevice;
import io.overlaybd.core.FormatException;
import io.overlaybd.testing.DeviceProbe;
import io.overlaybd.testing.FuzzContract;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * Fuzz target: the round trips of whatever writable layer the SDK accepts (a pair input, see
 * {@link LsmtFuzzInputs}): {@link WritableLayer#commit}, {@link WritableLayer#sealInPlace} and a
 * {@link LayerStack#merge} of the committed layer must each write a layer that {@link LsmtLayer#open} accepts and
 * that reads the same bytes as the source. A refused or different output is a finding (AssertionError); a source
 * the SDK refuses must be refused with an SDK exception ({@link FuzzContract}). Regression inputs:
 * {@code CommitRoundTripFuzzInputs/commitSealMerge}.
 */
class CommitRoundTripFuzz {

    @FuzzTest
    void commitSealMerge(byte[] input) {
        FuzzContract.check("commit / seal / merge round trip", () -> run(input));
    }

    static void run(byte[] input) throws IOException {
        LsmtFuzzInputs.Pair p = LsmtFuzzInputs.writePair(input, "commit");
        try (WritableLayer w = WritableLayer.openReadOnly(p.data(), p.index())) {
            long[] edges = LsmtFuzzInputs.edges(w.index());
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            w.commit(out, CommitOptions.DEFAULTS);
            try (LsmtLayer committed = LayerStackFuzz.reopen(out.toByteArray(), "committed.lsmt")) {
                DeviceProbe.assertSameBytes(w, committed, edges);
                try (LayerStack stack = LayerStack.of(List.of(committed), StackOptions.DEFAULTS)) {
                    ByteArrayOutputStream merged = new ByteArrayOutputStream();
                    stack.merge(merged, CommitOptions.DEFAULTS);
                    try (LsmtLayer m = LayerStackFuzz.reopen(merged.toByteArray(), "merged.lsmt")) {
                        DeviceProbe.assertSameBytes(w, m, edges);
                    }
                }
            }
            seal(p, w, edges);
        }
    }

    private static void seal(LsmtFuzzInputs.Pair p, WritableLayer source, long[] edges) throws IOException {
        Path data = p.data().resolveSibling("seal.data");
        Path index = p.index().resolveSibling("seal.index");
        Files.copy(p.data(), data, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(p.index(), index, StandardCopyOption.REPLACE_EXISTING);
        WritableLayer rw = WritableLayer.open(data, index);
        try {
            rw.sealInPlace(); // closes rw
        } finally {
            rw.close();
        }
        LsmtLayer sealed;
        try {
            sealed = LsmtLayer.open(FileDevice.open(data), true);
        } catch (FormatException e) {
            throw new AssertionError("sealInPlace wrote a layer it cannot reopen: " + e.getMessage(), e);
        }
        try (sealed) {
            DeviceProbe.assertSameBytes(source, sealed, edges);
        }
    }
}
