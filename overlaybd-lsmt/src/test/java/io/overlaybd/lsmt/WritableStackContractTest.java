package io.overlaybd.lsmt;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.testing.RandomAccessBlockDeviceContract;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;

/**
 * The device contract for a writable upper over a sealed lower: the lower holds the content, the upper rewrites some
 * pieces with the same bytes and discards zero sectors, so reads interleave the two.
 */
class WritableStackContractTest extends RandomAccessBlockDeviceContract {
    @TempDir
    Path tmp;

    @Override
    protected RandomAccessBlockDevice open(byte[] content) throws Exception {
        LsmtLayer lower = Builders.sealed(tmp, content, 21);
        WritableLayer upper = Builders.writable(tmp, content, 22, false);
        byte[] padded = java.util.Arrays.copyOf(content, (int) Builders.roundUp(content.length));
        upper.setVirtualSize(padded.length);
        for (int s = 3; s < padded.length / 512; s += 37) {
            int len = Math.min(padded.length / 512 - s, 5);
            upper.write(s * 512L, padded, s * 512, len * 512);
        }
        upper.setVirtualSize(content.length);
        return LayerStack.of(List.of(lower), upper, StackOptions.DEFAULTS.withOwnsLayers(true));
    }
}
