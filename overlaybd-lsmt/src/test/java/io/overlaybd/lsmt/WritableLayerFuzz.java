package io.overlaybd.lsmt;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.overlaybd.testing.DeviceProbe;
import io.overlaybd.testing.FuzzContract;
import java.io.IOException;
import java.util.Arrays;

/**
 * Fuzz target: {@link WritableLayer#open} / {@link WritableLayer#openReadOnly} on an arbitrary data file and index
 * log (a pair input, see {@link LsmtFuzzInputs}), then bounded reads. With options bit 0 the layer is opened
 * read-write: one sector is written and one discarded, flushed, and the reopened layer must read them back (and the
 * rest as before). Contract: {@link FuzzContract}. Regression inputs: {@code WritableLayerFuzzInputs/openDataAndIndex}.
 */
class WritableLayerFuzz {

    @FuzzTest
    void openDataAndIndex(byte[] input) {
        FuzzContract.check("WritableLayer.open + read", () -> run(input));
    }

    static void run(byte[] input) throws IOException {
        LsmtFuzzInputs.Pair p = LsmtFuzzInputs.writePair(input, "rw");
        if ((p.opts() & 1) == 0) {
            try (WritableLayer w = WritableLayer.openReadOnly(p.data(), p.index())) {
                DeviceProbe.probe(w, p.opts());
            }
            return;
        }
        byte[] sector = new byte[512];
        Arrays.fill(sector, (byte) 0xA5);
        long size;
        long writeAt;
        long discardAt;
        byte[] before;
        try (WritableLayer w = WritableLayer.open(p.data(), p.index())) {
            before = DeviceProbe.probe(w, p.opts());
            size = w.size();
            if (size < 1024) {
                return;
            }
            writeAt = (size / 2) & -512L;
            discardAt = 0;
            w.write(writeAt, sector, 0, 512);
            w.discard(discardAt, 512);
            w.flush();
        }
        try (WritableLayer w = WritableLayer.openReadOnly(p.data(), p.index())) {
            if (w.size() != size) {
                throw new AssertionError("size " + size + " became " + w.size() + " after a write and a flush");
            }
            byte[] b = new byte[512];
            w.readFully(writeAt, b, 0, 512);
            if (!Arrays.equals(sector, b)) {
                throw new AssertionError("the sector written at " + writeAt + " and flushed reads back wrong");
            }
            w.readFully(discardAt, b, 0, 512);
            if (!Arrays.equals(new byte[512], b)) {
                throw new AssertionError("the discarded sector at " + discardAt + " does not read as zeros");
            }
            byte[] after = DeviceProbe.window(w, 0, 1);
            if (writeAt >= before.length && Arrays.mismatch(before, 512, before.length, after, 512, after.length) >= 0) {
                throw new AssertionError("bytes that were not written changed after a write and a flush");
            }
        }
    }
}
