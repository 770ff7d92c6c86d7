package io.overlaybd.lsmt;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.testing.RandomAccessBlockDeviceContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The device contract for a sealed layer built by this module's writer and commit (unaligned virtual size). */
class LsmtLayerContractTest extends RandomAccessBlockDeviceContract {
    @TempDir
    Path tmp;
    private long[] edges = new long[0];

    @Override
    protected RandomAccessBlockDevice open(byte[] content) throws Exception {
        LsmtLayer l = Builders.sealed(tmp, content, 11);
        edges = Builders.edges(l.index(), content.length);
        return l;
    }

    @Override
    protected long[] boundaries() {
        if (edges.length == 0) {
            try (RandomAccessBlockDevice d = open(content())) {
                d.size();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return edges;
    }
}
