package io.overlaybd.lsmt;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.overlaybd.core.MemoryDevice;
import io.overlaybd.testing.DeviceProbe;
import io.overlaybd.testing.FuzzContract;
import java.io.IOException;
import java.util.List;

/**
 * Fuzz target: {@link LsmtLayer#open} on arbitrary bytes (a sealed or committed layer: header, trailer, index), then
 * bounded reads through every read path, and the same layer alone in a {@link LayerStack}, which must read the same
 * bytes. Contract: {@link FuzzContract}. Regression inputs: {@code LsmtLayerFuzzInputs/open}; seeds from
 * {@link LsmtFuzzInputs#main}.
 */
class LsmtLayerFuzz {

    @FuzzTest
    void open(byte[] input) {
        FuzzContract.check("LsmtLayer.open + read", () -> run(input));
    }

    static void run(byte[] input) throws IOException {
        try (LsmtLayer layer = LsmtLayer.open(MemoryDevice.wrap(input, 0, input.length, "fuzz.lsmt"), true)) {
            DeviceProbe.probe(layer, input.length);
            try (LayerStack stack = LayerStack.of(List.of(layer), StackOptions.DEFAULTS)) {
                DeviceProbe.assertSameBytes(layer, stack, LsmtFuzzInputs.edges(layer.index()));
            }
        }
    }
}
