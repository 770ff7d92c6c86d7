package io.overlaybd.lsmt;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.testing.RandomAccessBlockDeviceContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** The device contract for a three-layer read-only stack whose merged index cuts the content into many pieces. */
class LayerStackContractTest extends RandomAccessBlockDeviceContract {
    @TempDir
    Path tmp;
    private long[] edges = new long[0];

    @Override
    protected RandomAccessBlockDevice open(byte[] content) throws Exception {
        LayerStack s = LayerStack.of(Builders.threeLayers(tmp, content, 5), StackOptions.DEFAULTS.withOwnsLayers(
                true));
        edges = Builders.edges(s.mergedIndex(), content.length);
        return s;
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
