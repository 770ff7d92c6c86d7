package io.overlaybd.core;

import io.overlaybd.testing.RandomAccessBlockDeviceContract;

class SliceDeviceTest extends RandomAccessBlockDeviceContract {
    @Override
    protected RandomAccessBlockDevice open(byte[] content) {
        byte[] padded = new byte[content.length + 1000];
        System.arraycopy(content, 0, padded, 777, content.length);
        return SliceDevice.of(MemoryDevice.wrap(padded), 777, content.length, "slice(test)", true);
    }
}
