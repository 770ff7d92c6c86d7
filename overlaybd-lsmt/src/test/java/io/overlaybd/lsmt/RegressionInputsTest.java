package io.overlaybd.lsmt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.core.FileDevice;
import io.overlaybd.core.FormatException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * One tiny named input per defect found by fuzzing ({@code src/test/resources/regress}). Each was accepted on open
 * and then broke a later step (a stack, a commit, a merge); the field rules of {@link LsmtFormat} now refuse it on
 * open, naming file, structure and offset.
 */
class RegressionInputsTest {

    static Path input(String name) throws URISyntaxException {
        return Path.of(RegressionInputsTest.class.getResource("/regress/" + name).toURI());
    }

    /** Trailer virtual_size 2^60: stacked under a writable upper, setVirtualSize threw IllegalArgumentException. */
    @Test
    void trailerVirtualSizeAboveTheOffsetSpace() throws Exception {
        Path f = input("trailer-vsize-2pow60.lsmt");
        assertThatThrownBy(() -> LsmtLayer.open(FileDevice.open(f), true))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("lsmt trailer: virtual_size 1152921504606846976 is outside [0, ")
                .hasMessageContaining("at offset " + (4096 + 48))
                .hasMessageContaining(f.toString());
    }

    /** Header virtual_size 2^62: merge took it for the merged layer, which then could not be reopened. */
    @Test
    void headerVirtualSizeAboveTheOffsetSpace() throws Exception {
        Path f = input("header-vsize-2pow62.lsmt");
        assertThatThrownBy(() -> LsmtLayer.open(FileDevice.open(f), true))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("lsmt header: virtual_size 4611686018427387904")
                .hasMessageContaining("at offset 48")
                .hasMessageContaining(f.toString());
    }

    /** A log entry at sector 2^50 - 2 of 65 sectors: commit cut it into pieces whose offsets overflowed 50 bits. */
    @Test
    void logEntryPastTheOffsetSpace() throws Exception {
        Path data = input("log-past-offset-space.data");
        Path index = input("log-past-offset-space.index");
        assertThatThrownBy(() -> WritableLayer.openReadOnly(data, index))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("lsmt index log: entry 0: sectors [1125899906842622, +65) run past the 50-bit"
                        + " offset space")
                .hasMessageContaining("at offset 4096")
                .hasMessageContaining(index.toString());
    }

    /** The data header's virtual_size 2^63 was never checked; commit copied it into a trailer refused on reopen. */
    @Test
    void dataHeaderVirtualSizeIsChecked() throws Exception {
        Path data = input("data-header-vsize-2pow63.data");
        Path index = input("data-header-vsize-2pow63.index");
        assertThatThrownBy(() -> WritableLayer.openReadOnly(data, index))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("lsmt data header: virtual_size 9223372036854775808 is outside")
                .hasMessageContaining("at offset 48")
                .hasMessageContaining(data.toString());
    }

    /**
     * Header virtual_size 0, trailer 4096: the stack reads 4096 bytes (trailer), but merge wrote the header's 0 and
     * the merged layer read as an empty device (found by LayerStackFuzz).
     */
    @Test
    void mergeWritesTheSizeTheStackReadsAs() throws Exception {
        Path f = input("header-vsize-0-trailer-4096.lsmt");
        try (LsmtLayer l = LsmtLayer.open(FileDevice.open(f), true);
             LayerStack s = LayerStack.of(java.util.List.of(l), StackOptions.DEFAULTS)) {
            assertThat(s.size()).isEqualTo(4096);
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            s.merge(out, CommitOptions.DEFAULTS);
            try (LsmtLayer merged = Builders.sealed(out.toByteArray(), "merged")) {
                assertThat(merged.size()).isEqualTo(4096);
                assertThat(merged.header().virtualSize()).isEqualTo(4096);
            }
        }
    }

    /**
     * Data header virtual_size 512, index header 0: the pair reads as 0 bytes (index header), but commit wrote 512
     * (found by CommitRoundTripFuzz). Commit and seal now write the size the layer reads as.
     */
    @Test
    void commitAndSealWriteTheSizeTheLayerReadsAs(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path data = java.nio.file.Files.copy(input("data-vsize-512-index-vsize-0.data"), dir.resolve("l.data"));
        Path index = java.nio.file.Files.copy(input("data-vsize-512-index-vsize-0.index"), dir.resolve("l.index"));
        try (WritableLayer w = WritableLayer.openReadOnly(data, index)) {
            assertThat(w.size()).isZero();
            try (LsmtLayer c = Builders.sealed(Builders.commit(w), "committed")) {
                assertThat(c.size()).isZero();
            }
        }
        try (WritableLayer w = WritableLayer.open(data, index)) {
            w.sealInPlace();
        }
        try (LsmtLayer sealed = LsmtLayer.open(FileDevice.open(data), true)) {
            assertThat(sealed.size()).isZero();
        }
    }

    @Test
    void rangeRuleKeepsEveryCommitPieceInside50Bits() {
        long top = LsmtFormat.INVALID_OFFSET;
        assertThat(LsmtFormat.isValidRange(top - 65, 65)).isTrue();
        assertThat(LsmtFormat.isValidRange(top - 64, 65)).isFalse();
        assertThat(LsmtFormat.isValidRange(top, 1)).isFalse();
        assertThat(LsmtFormat.isValidRange(0, 0)).isFalse();
        assertThat(LsmtFormat.isValidRange(0, LsmtFormat.MAX_LENGTH)).isTrue();
        assertThat(LsmtFormat.isValidRange(0, LsmtFormat.MAX_LENGTH + 1)).isFalse();
        assertThat(LsmtFormat.isValidRange(Long.MAX_VALUE, 1)).isFalse();
        assertThat(LsmtFormat.isValidVirtualSize(LsmtFormat.MAX_VIRTUAL_SIZE)).isTrue();
        assertThat(LsmtFormat.isValidVirtualSize(LsmtFormat.MAX_VIRTUAL_SIZE + 1)).isFalse();
        assertThat(LsmtFormat.isValidVirtualSize(-1)).isFalse();
        assertThatThrownBy(() -> CreateOptions.ofSize(LsmtFormat.MAX_VIRTUAL_SIZE + 512))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
