package io.overlaybd.lsmt;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.testing.RandomAccessBlockDeviceContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The device contract for a writable layer written in shuffled, overlapping pieces with discards. */
class WritableLayerContractTest extends RandomAccessBlockDeviceContract {
    @TempDir
    Path tmp;

    @Override
    protected RandomAccessBlockDevice open(byte[] content) throws Exception {
        return Builders.writable(tmp, content, 3, true);
    }

    @Override
    protected long[] boundaries() {
        return new long[] {512, 4096, 16384, 20480, 65536, 131072};
    }
}
