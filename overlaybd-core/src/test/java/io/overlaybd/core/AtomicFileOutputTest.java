package io.overlaybd.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFileOutputTest {
    @TempDir
    Path tmp;

    @Test
    void nothingAppearsUnderTheFinalNameUntilCommit() throws Exception {
        Path target = tmp.resolve("out.bin");
        try (AtomicFileOutput out = AtomicFileOutput.create(target)) {
            out.stream().write(new byte[] {1, 2, 3});
            out.stream().flush();
            assertThat(target).doesNotExist();
            out.commit();
        }
        assertThat(Files.readAllBytes(target)).containsExactly(1, 2, 3);
        try (var files = Files.list(tmp)) {
            assertThat(files).containsExactly(target);
        }
    }

    @Test
    void closingWithoutCommitLeavesTheOldFileAndNoTemp() throws Exception {
        Path target = tmp.resolve("keep.bin");
        Files.write(target, new byte[] {9});
        try (AtomicFileOutput out = AtomicFileOutput.create(target)) {
            out.stream().write(new byte[1000]);
            // an exception in the writer would arrive here: no commit
        }
        assertThat(Files.readAllBytes(target)).containsExactly(9);
        try (var files = Files.list(tmp)) {
            assertThat(files).containsExactly(target);
        }
    }

    @Test
    void aMissingFolderIsNamedWithTheTargetNotTheTemporaryFile() {
        Path target = tmp.resolve("no/such/folder/out.img");
        assertThatThrownBy(() -> AtomicFileOutput.create(target)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining(target.toString()).hasMessageContaining("does not exist")
                .hasMessageNotContaining(".tmp");
    }
}
