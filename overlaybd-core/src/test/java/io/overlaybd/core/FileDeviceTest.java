package io.overlaybd.core;

import io.overlaybd.testing.RandomAccessBlockDeviceContract;

import java.nio.file.Files;
import java.nio.file.Path;
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
}
