package io.overlaybd.lsmt;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.MemoryDevice;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.testing.InteropFixtures;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every raw-layer stack of EXPECTED.md, and the writable fixtures stacked on their lowers. */
class InteropStackTest {
    private static final String STACK1 = "stack1";
    private static final String STACK2 = "stack2";
    private static final String STACK3 = "stack3";
    private static final String EDGE1 = "edge1 spot checks (1 GiB device)";
    private static final String EDGE12 = "edge1+edge2 spot checks (2 GiB device)";

    @Test
    void stack1() throws Exception {
        try (LayerStack s = Fixtures.stack("layer1.lsmt")) {
            assertThat(s.size()).isEqualTo(1L << 30);
            DeviceChecks.checkSpots(s, STACK1);
            DeviceChecks.checkWhole(s, DeviceChecks.wholeHash("stack1"), STACK1);
        }
    }

    @Test
    void stack1AsASingleLayerDevice() throws Exception {
        try (LsmtLayer l = Fixtures.layer("layer1.lsmt")) {
            DeviceChecks.checkSpots(l, STACK1);
            DeviceChecks.checkWhole(l, DeviceChecks.wholeHash("stack1"), STACK1);
        }
    }

    @Test
    void stack2() throws Exception {
        try (LayerStack s = Fixtures.stack("layer1.lsmt", "layer2.lsmt")) {
            DeviceChecks.checkSpots(s, STACK2);
            DeviceChecks.checkWhole(s, DeviceChecks.wholeHash("stack2"), STACK2);
        }
    }

    @Test
    void stack3() throws Exception {
        try (LayerStack s = Fixtures.stack("layer1.lsmt", "layer2.lsmt", "layer3.lsmt")) {
            DeviceChecks.checkSpots(s, STACK3);
            DeviceChecks.checkWhole(s, DeviceChecks.wholeHash("stack3"), STACK3);
        }
    }

    @Test
    void layer2Alone() throws Exception {
        try (LsmtLayer l = Fixtures.layer("layer2.lsmt")) {
            DeviceChecks.checkWhole(l, DeviceChecks.wholeHash("layer2 alone"), null);
        }
    }

    @Test
    void layer3Alone() throws Exception {
        try (LayerStack s = Fixtures.stack("layer3.lsmt")) {
            DeviceChecks.checkWhole(s, DeviceChecks.wholeHash("layer3 alone"), null);
        }
    }

    @Test
    void ourMergeOfStack3ReadsAsStack3() throws Exception {
        try (LayerStack s = Fixtures.stack("layer1.lsmt", "layer2.lsmt", "layer3.lsmt")) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            s.merge(bos, CommitOptions.DEFAULTS);
            try (LsmtLayer merged = LsmtLayer.open(MemoryDevice.wrap(bos.toByteArray()), true)) {
                DeviceChecks.checkSpots(merged, STACK3);
                DeviceChecks.checkWhole(merged, DeviceChecks.wholeHash("stack3"), STACK3);
            }
        }
    }

    @Test
    void edge1() throws Exception {
        try (LsmtLayer l = Fixtures.layer("edge1.lsmt")) {
            DeviceChecks.checkSpots(l, EDGE1);
            DeviceChecks.checkWhole(l, DeviceChecks.wholeHash("edge1"), EDGE1);
        }
    }

    @Test
    void edge1PlusEdge2() throws Exception {
        try (LayerStack s = Fixtures.stack("edge1.lsmt", "edge2.lsmt")) {
            assertThat(s.size()).isEqualTo(2L << 30);
            DeviceChecks.checkSpots(s, EDGE12);
            DeviceChecks.checkWhole(s, DeviceChecks.wholeHash("edge1+edge2"), EDGE12);
        }
    }

    @Test
    void writableLayer2OverLayer1IsStack2() throws Exception {
        try (WritableLayer w = WritableLayer.openReadOnly(Fixtures.lsmt("rw/layer2.data"),
                Fixtures.lsmt("rw/layer2.index"));
             LayerStack s = LayerStack.of(Fixtures.layers("layer1.lsmt"), w,
                     StackOptions.DEFAULTS.withOwnsLayers(true))) {
            DeviceChecks.checkSpots(s, STACK2);
            DeviceChecks.checkWhole(s, DeviceChecks.wholeHash("stack2"), STACK2);
        }
    }

    @Test
    void writableLayer3OverLayers12IsStack3() throws Exception {
        try (WritableLayer w = WritableLayer.openReadOnly(Fixtures.lsmt("rw/layer3.data"),
                Fixtures.lsmt("rw/layer3.index"));
             LayerStack s = LayerStack.of(Fixtures.layers("layer1.lsmt", "layer2.lsmt"), w,
                     StackOptions.DEFAULTS.withOwnsLayers(true))) {
            DeviceChecks.checkSpots(s, STACK3);
        }
    }

    @Test
    void writableEdge2OverEdge1IsEdge1PlusEdge2() throws Exception {
        try (WritableLayer w = WritableLayer.openReadOnly(Fixtures.lsmt("rw/edge2.data"),
                Fixtures.lsmt("rw/edge2.index"));
             LayerStack s = LayerStack.of(Fixtures.layers("edge1.lsmt"), w,
                     StackOptions.DEFAULTS.withOwnsLayers(true))) {
            assertThat(s.size()).isEqualTo(2L << 30);
            DeviceChecks.checkSpots(s, EDGE12);
            DeviceChecks.checkWhole(s, DeviceChecks.wholeHash("edge1+edge2"), EDGE12);
        }
    }

    @Test
    void writableEdge1AloneIsEdge1() throws Exception {
        try (WritableLayer w = WritableLayer.openReadOnly(Fixtures.lsmt("rw/edge1.data"),
                Fixtures.lsmt("rw/edge1.index"))) {
            DeviceChecks.checkSpots(w, EDGE1);
            DeviceChecks.checkWhole(w, DeviceChecks.wholeHash("edge1"), EDGE1);
        }
    }

    @Test
    void sealedInPlaceLayerReadsLikeTheWritableOne(@TempDir Path tmp) throws Exception {
        Path data = tmp.resolve("edge1.data");
        Path index = tmp.resolve("edge1.index");
        Files.copy(Fixtures.lsmt("rw/edge1.data"), data);
        Files.copy(Fixtures.lsmt("rw/edge1.index"), index);
        WritableLayer w = WritableLayer.open(data, index);
        SegmentIndex before = w.index();
        w.sealInPlace();
        try (LsmtLayer l = LsmtLayer.open(io.overlaybd.core.FileDevice.open(data), true)) {
            assertThat(l.header().flags()).isEqualTo(LsmtFormat.FLAGS_RW_DATA_HEADER);
            assertThat(l.trailer().flags()).isEqualTo(LsmtFormat.FLAGS_SEALED_TRAILER);
            assertThat(l.trailer().indexSize()).isEqualTo(before.size());
            assertThat(l.uuid()).isEqualTo(w.uuid());
            assertThat(l.index()).isEqualTo(before);
            DeviceChecks.checkSpots(l, EDGE1);
            // a sealed-in-place layer commits to the same bytes as its writable form
            ByteArrayOutputStream viaStack = new ByteArrayOutputStream();
            LayerStack.of(List.of(l), StackOptions.DEFAULTS).merge(viaStack, new CommitOptions(
                    Fixtures.commitCommand("edge1.lsmt").uuid(), null, "edge1"));
            byte[] want = Files.readAllBytes(Fixtures.lsmt("edge1.lsmt"));
            assertThat(Fixtures.sha256(viaStack.toByteArray())).isEqualTo(Fixtures.sha256(want));
        }
    }

    @Test
    void devicesReportTheirDescriptions() throws Exception {
        try (LayerStack s = Fixtures.stack("layer1.lsmt", "layer2.lsmt")) {
            RandomAccessBlockDevice top = s.layers().get(1);
            assertThat(top.description()).startsWith("lsmt(").endsWith("layer2.lsmt)");
            assertThat(s.description()).contains("2 layers").contains("layer2.lsmt");
            assertThat(InteropFixtures.expected().sections()).contains(STACK1, EDGE12);
        }
    }
}
