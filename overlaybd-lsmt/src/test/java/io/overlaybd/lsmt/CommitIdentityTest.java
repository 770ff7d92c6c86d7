package io.overlaybd.lsmt;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.testing.InteropFixtures;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Commit and merge byte identity with the reference's outputs (EXPECTED.md). */
class CommitIdentityTest {

    @ParameterizedTest
    @ValueSource(strings = {"layer1.lsmt", "layer2.lsmt", "layer3.lsmt", "edge1.lsmt", "edge2.lsmt"})
    void commitReproducesReferenceLayerByteForByte(String output) throws Exception {
        Fixtures.CommitCommand cmd = Fixtures.commitCommand(output);
        CommitOptions opts = new CommitOptions(cmd.uuid(), cmd.parent(), cmd.message());
        try (WritableLayer w = WritableLayer.openReadOnly(Fixtures.lsmt("rw/" + cmd.data()),
                Fixtures.lsmt("rw/" + cmd.index()))) {
            byte[] got = Fixtures.commitToBytes(w, opts);
            byte[] want = Files.readAllBytes(Fixtures.lsmt(output));
            assertThat(got.length).isEqualTo(want.length);
            assertThat(Fixtures.sha256(got)).isEqualTo(Fixtures.sha256(want));
        }
    }

    @Test
    void commitToPathIsAtomicAndIdentical(@TempDir Path tmp) throws Exception {
        Fixtures.CommitCommand cmd = Fixtures.commitCommand("layer2.lsmt");
        Path out = tmp.resolve("out.lsmt");
        long n = WritableLayer.commit(Fixtures.lsmt("rw/layer2.data"), Fixtures.lsmt("rw/layer2.index"), out,
                new CommitOptions(cmd.uuid(), cmd.parent(), cmd.message()));
        assertThat(n).isEqualTo(Files.size(out));
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(Fixtures.lsmt("layer2.lsmt")));
        try (var s = Files.list(tmp)) {
            assertThat(s.count()).isEqualTo(1);
        }
    }

    @Test
    void mergeOfLayers123EqualsDecompressedMergedLayer() throws Exception {
        String want = InteropFixtures.expected().findAnywhere(
                "decompressed blob\\s+4,741,120 bytes, sha256 `([0-9a-f]{64})`");
        assertThat(want).startsWith("2e950e6e");
        try (LayerStack s = Fixtures.stack("layer1.lsmt", "layer2.lsmt", "layer3.lsmt")) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            long n = s.merge(bos, CommitOptions.DEFAULTS);
            assertThat(n).isEqualTo(bos.size()).isEqualTo(4741120);
            assertThat(Fixtures.sha256(bos.toByteArray())).isEqualTo(want);
        }
    }

    @Test
    void mergeOfEdge1Edge2EqualsReferenceRawMerge() throws Exception {
        String want = InteropFixtures.expected().findAnywhere(
                "raw LSMT blob of 11,577,344 bytes, sha256\\s+`([0-9a-f]{64})`");
        assertThat(want).startsWith("ca50e036");
        try (LayerStack s = Fixtures.stack("edge1.lsmt", "edge2.lsmt")) {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            s.merge(bos, CommitOptions.DEFAULTS);
            assertThat(bos.size()).isEqualTo(11_577_344);
            assertThat(Fixtures.sha256(bos.toByteArray())).isEqualTo(want);
        }
    }
}
