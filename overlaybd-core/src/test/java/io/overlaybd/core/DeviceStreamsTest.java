package io.overlaybd.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link DeviceChannel} and {@link DeviceInputStream}: the stream-shaped views of a device. */
class DeviceStreamsTest {
    private static final byte[] CONTENT = new byte[100_003];

    static {
        new SplittableRandom(5).nextBytes(CONTENT);
    }

    private final MemoryDevice device = MemoryDevice.wrap(CONTENT);

    @Test
    void channelReadsFromItsPositionAndSeeks() throws IOException {
        try (DeviceChannel ch = DeviceChannel.of(device)) {
            assertThat(ch.size()).isEqualTo(CONTENT.length);
            ByteBuffer b = ByteBuffer.allocate(7000);
            assertThat(ch.read(b)).isEqualTo(7000);
            assertThat(ch.position()).isEqualTo(7000);
            assertThat(b.array()).isEqualTo(Arrays.copyOf(CONTENT, 7000));
            SplittableRandom r = new SplittableRandom(9);
            for (int i = 0; i < 200; i++) {
                int pos = r.nextInt(CONTENT.length);
                ByteBuffer d = r.nextBoolean() ? ByteBuffer.allocate(1 + r.nextInt(9000))
                        : ByteBuffer.allocateDirect(1 + r.nextInt(9000));
                ch.position(pos);
                int n = ch.read(d);
                int want = Math.min(d.capacity(), CONTENT.length - pos);
                assertThat(n).isEqualTo(want);
                assertThat(ch.position()).isEqualTo(pos + want);
                byte[] got = new byte[n];
                d.flip().get(got);
                assertThat(got).isEqualTo(Arrays.copyOfRange(CONTENT, pos, pos + n));
            }
            ch.position(CONTENT.length);
            assertThat(ch.read(ByteBuffer.allocate(10))).isEqualTo(-1);
            ch.position(CONTENT.length + 5L); // past the end is allowed
            assertThat(ch.read(ByteBuffer.allocate(10))).isEqualTo(-1);
            assertThat(ch.read(ByteBuffer.allocate(0))).isZero();
            assertThatThrownBy(() -> ch.position(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ch.write(ByteBuffer.allocate(1))).isInstanceOf(NonWritableChannelException.class);
            assertThatThrownBy(() -> ch.truncate(0)).isInstanceOf(NonWritableChannelException.class);
        }
    }

    @Test
    void closingTheChannelLeavesTheDeviceOpen() throws IOException {
        DeviceChannel ch = DeviceChannel.of(device);
        ch.close();
        assertThat(ch.isOpen()).isFalse();
        assertThatThrownBy(() -> ch.read(ByteBuffer.allocate(1))).isInstanceOf(ClosedChannelException.class);
        assertThatThrownBy(ch::position).isInstanceOf(ClosedChannelException.class);
        assertThat(device.read(0, new byte[1], 0, 1)).isEqualTo(1);
    }

    @Test
    void streamOfARange() throws IOException {
        try (InputStream in = DeviceInputStream.of(device, 1000, 50_000)) {
            assertThat(in.available()).isEqualTo(50_000);
            assertThat(in.read()).isEqualTo(CONTENT[1000] & 0xFF);
            assertThat(in.skip(999)).isEqualTo(999);
            in.mark(0);
            byte[] b = new byte[3000];
            assertThat(in.readNBytes(b, 0, b.length)).isEqualTo(3000);
            assertThat(b).isEqualTo(Arrays.copyOfRange(CONTENT, 2000, 5000));
            in.reset();
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            assertThat(in.transferTo(rest)).isEqualTo(49_000);
            assertThat(rest.toByteArray()).isEqualTo(Arrays.copyOfRange(CONTENT, 2000, 51_000));
            assertThat(in.read()).isEqualTo(-1);
            assertThat(in.read(b, 0, 10)).isEqualTo(-1);
            assertThat(in.read(b, 0, 0)).isZero();
            assertThat(in.skip(10)).isZero();
            assertThat(in.available()).isZero();
        }
    }

    @Test
    void streamOfTheWholeDeviceAndBadRanges() throws IOException {
        try (InputStream in = DeviceInputStream.of(device)) {
            assertThat(in.readAllBytes()).isEqualTo(CONTENT);
        }
        assertThatThrownBy(() -> DeviceInputStream.of(device, -1, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DeviceInputStream.of(device, 5, CONTENT.length)).isInstanceOf(
                IllegalArgumentException.class).hasMessageContaining("size " + CONTENT.length);
        assertThat(DeviceInputStream.of(device, CONTENT.length, 0).read()).isEqualTo(-1);
        InputStream closed = DeviceInputStream.of(device);
        closed.close();
        assertThatThrownBy(closed::read).isInstanceOf(IOException.class).hasMessageContaining("closed");
    }
}
