package io.overlaybd.core;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.overlaybd.testing.RandomAccessBlockDeviceContract;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileDeviceTest extends RandomAccessBlockDeviceContract {
    @TempDir
    Path tmp;

    @Override
    protected RandomAccessBlockDevice open(byte[] content) throws Exception {
        Path f = Files.createTempFile(tmp, "dev", ".bin");
        Files.write(f, content);
        return FileDevice.open(f);
    }

    @Test
    void aDirectoryIsRefusedByName() {
        assertThatThrownBy(() -> FileDevice.open(tmp)).isInstanceOf(FileSystemException.class)
                .hasMessageContaining(tmp.toString()).hasMessageContaining("directory");
        assertThatThrownBy(() -> MappedFileDevice.open(tmp)).isInstanceOf(FileSystemException.class)
                .hasMessageContaining(tmp.toString()).hasMessageContaining("directory");
    }
}
