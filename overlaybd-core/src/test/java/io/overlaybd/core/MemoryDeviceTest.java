package io.overlaybd.core;

import io.overlaybd.testing.RandomAccessBlockDeviceContract;

class MemoryDeviceTest extends RandomAccessBlockDeviceContract {
    @Override
    protected RandomAccessBlockDevice open(byte[] content) {
        return MemoryDevice.wrap(content);
    }
}
