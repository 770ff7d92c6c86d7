package io.overlaybd.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.core.FileDevice;
import io.overlaybd.core.TarFormat;
import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.zfile.ZFileAlgorithm;
import io.overlaybd.zfile.ZFileDevice;
import io.overlaybd.zfile.ZFileWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link LayerOutput}: the four blob shapes, and nothing left behind when producing fails. */
class LayerOutputTest {
    @TempDir
    Path tmp;

    static byte[] content() throws IOException {
        return Files.readAllBytes(InteropFixtures.path("lsmt/layer3.lsmt"));
    }

    static LayerOutput.Producer producer(byte[] bytes) {
        return out -> {
            // odd-sized writes, single bytes, then a close the producer should be allowed to make
            int pos = 0;
            out.write(bytes[pos++]);
            while (pos < bytes.length) {
                int n = Math.min(bytes.length - pos, 7777);
                out.write(bytes, pos, n);
                pos += n;
            }
            out.close();
        };
    }

    @Test
    void raw() throws IOException {
        byte[] c = content();
        Path out = tmp.resolve("raw.lsmt");
        LayerOutput.write(out, null, false, producer(c));
        assertThat(Files.readAllBytes(out)).isEqualTo(c);
        assertThat(TestFiles.list(tmp)).containsExactly("raw.lsmt");
    }

    @Test
    void rawInTheReferenceTar() throws IOException {
        byte[] c = content();
        Path out = tmp.resolve("raw.tar");
        LayerOutput.write(out, null, true, producer(c));
        byte[] blob = Files.readAllBytes(out);
        assertThat(blob.length).isEqualTo(TarFormat.wrappedSize(c.length));
        assertThat(Arrays.copyOf(blob, TarFormat.WRAPPED_PAYLOAD_OFFSET)).isEqualTo(TarFormat.wrapperHeader(c.length));
        assertThat(Arrays.copyOfRange(blob, TarFormat.WRAPPED_PAYLOAD_OFFSET, TarFormat.WRAPPED_PAYLOAD_OFFSET
                + c.length)).isEqualTo(c);
        assertThat(Arrays.copyOfRange(blob, TarFormat.WRAPPED_PAYLOAD_OFFSET + c.length, blob.length))
                .isEqualTo(TarFormat.wrapperTrailer(c.length));
        try (FileDevice dev = FileDevice.open(out)) {
            TarFormat.Member m = TarFormat.firstFile(dev).orElseThrow();
            assertThat(m.name()).isEqualTo("overlaybd.commit");
            assertThat(m.payloadOffset()).isEqualTo(TarFormat.WRAPPED_PAYLOAD_OFFSET);
            assertThat(m.payloadSize()).isEqualTo(c.length);
        }
        try (Blob b = Blob.open(out)) {
            assertThat(b.kind()).isEqualTo(Blob.Kind.LSMT);
        }
    }

    @Test
    void zfileAndZFileInTar() throws IOException {
        byte[] c = content();
        for (boolean tar : new boolean[] {false, true}) {
            Path out = tmp.resolve(tar ? "z.tar" : "z.zfile");
            ZFileWriter w = ZFileWriter.builder().algorithm(ZFileAlgorithm.ZSTD).blockSize(16384).tar(tar)
                    .overwriteHeader(true).build();
            LayerOutput.write(out, w, tar, producer(c));
            try (Blob b = Blob.open(out)) {
                assertThat(b.kind()).isEqualTo(Blob.Kind.ZFILE_LSMT);
                assertThat(b.tarMember().isPresent()).isEqualTo(tar);
                ZFileDevice z = b.zfile().orElseThrow();
                assertThat(z.algorithm()).isEqualTo(ZFileAlgorithm.ZSTD);
                assertThat(z.header().isHeaderOverwrite()).isTrue();
                assertThat(TestFiles.sha256(b.content())).isEqualTo(TestFiles.sha256(c));
            }
            if (tar) {
                byte[] blob = Files.readAllBytes(out);
                try (FileDevice dev = FileDevice.open(out)) {
                    long size = TarFormat.firstFile(dev).orElseThrow().payloadSize();
                    assertThat(Arrays.copyOf(blob, TarFormat.WRAPPED_PAYLOAD_OFFSET))
                            .isEqualTo(TarFormat.wrapperHeader(size));
                    assertThat(blob.length).isEqualTo(TarFormat.wrappedSize(size));
                }
            }
            assertThat(ImageVerifier.create(1, false, null).verify(List.of(out)).findings()).isEmpty();
        }
        assertThatThrownBy(() -> LayerOutput.write(tmp.resolve("x"), ZFileWriter.builder().build(), true,
                producer(c))).isInstanceOf(IllegalArgumentException.class);
    }

    @Property(tries = 16)
    void aFailingProducerLeavesNothing(@ForAll @IntRange(min = 0, max = 3) int shape,
                                       @ForAll @IntRange(min = 0, max = 300_000) int failAfter,
                                       @ForAll boolean closeFirst) throws IOException {
        Path dir = Files.createTempDirectory("layer-output");
        try {
            Path out = dir.resolve("out.blob");
            Files.writeString(dir.resolve("other"), "kept");
            boolean tar = (shape & 1) != 0;
            ZFileWriter w = (shape & 2) != 0 ? ZFileWriter.builder().tar(tar).threads(2).build() : null;
            IOException boom = new IOException("producer failed");
            LayerOutput.Producer p = o -> {
                byte[] chunk = new byte[4096];
                Arrays.fill(chunk, (byte) 7);
                for (int done = 0; done < failAfter; done += chunk.length) {
                    o.write(chunk, 0, Math.min(chunk.length, failAfter - done));
                }
                if (closeFirst) {
                    o.close(); // a producer that closes its stream and then fails must not publish the file
                }
                throw boom;
            };
            assertThatThrownBy(() -> LayerOutput.write(out, w, tar, p)).isSameAs(boom);
            assertThat(TestFiles.list(dir)).containsExactly("other");
            // an existing file under the final name is left untouched
            Files.writeString(out, "previous");
            assertThatThrownBy(() -> LayerOutput.write(out, w, tar, p)).isSameAs(boom);
            assertThat(Files.readString(out)).isEqualTo("previous");
            assertThat(TestFiles.list(dir)).containsExactly("other", "out.blob");
        } finally {
            try (var s = Files.list(dir)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(dir);
        }
    }

    @Test
    void aProducerThatThrowsUncheckedLeavesNothing() throws IOException {
        for (ZFileWriter w : new ZFileWriter[] {null, ZFileWriter.builder().build()}) {
            Path out = tmp.resolve("u.blob");
            LayerOutput.Producer p = o -> {
                o.write(new byte[100_000]);
                throw new IllegalStateException("bug");
            };
            assertThatThrownBy(() -> LayerOutput.write(out, w, false, p)).isInstanceOf(IllegalStateException.class);
            assertThat(TestFiles.list(tmp)).isEmpty();
        }
    }
}
