package io.overlaybd.core;

class MemoryDeviceTest extends RandomAccessBlockDeviceContract {
    @Override
    protected RandomAccessBlockDevice open(byte[] content) {
        return MemoryDevice.wrap(content);
    }
}
