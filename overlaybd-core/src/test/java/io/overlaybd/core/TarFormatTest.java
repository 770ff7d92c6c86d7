package io.overlaybd.core;

import io.overlaybd.testing.InteropFixtures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TarFormatTest {

    @Test
    void paxSizeRecordCountsItsOwnLength() {
        assertThat(new String(TarFormat.paxSizeRecord(20572), StandardCharsets.US_ASCII)).isEqualTo("14 size=20572\n");
        assertThat(new String(TarFormat.paxSizeRecord(1), StandardCharsets.US_ASCII)).isEqualTo("9 size=1\n");
        // lengths whose digit count changes the total: 9 vs 10, 99 vs 100
        for (long size : new long[] {0, 9, 10, 99, 100, 999, 999_999, 1L << 40}) {
            String rec = new String(TarFormat.paxSizeRecord(size), StandardCharsets.US_ASCII);
            assertThat(Integer.parseInt(rec.substring(0, rec.indexOf(' ')))).isEqualTo(rec.length());
        }
    }

    @Test
    void wrapperEqualsTheReferenceBytes() throws Exception {
        for (String name : new String[] {"zfile/small.lz4.4k.crc.tar.zfile", "lsmt/layer3.lz4.tar.zfile"}) {
            byte[] blob = Files.readAllBytes(InteropFixtures.path(name));
            try (MemoryDevice d = MemoryDevice.wrap(blob)) {
                TarFormat.Member m = TarFormat.firstFile(d).orElseThrow();
                assertThat(m.name()).isEqualTo(TarFormat.MEMBER_NAME);
                assertThat(m.payloadOffset()).isEqualTo(TarFormat.WRAPPED_PAYLOAD_OFFSET);
                assertThat(TarFormat.wrappedSize(m.payloadSize())).isEqualTo(blob.length);
                assertThat(TarFormat.wrapperHeader(m.payloadSize()))
                        .isEqualTo(Arrays.copyOf(blob, TarFormat.WRAPPED_PAYLOAD_OFFSET));
                long end = m.payloadOffset() + m.payloadSize();
                assertThat(TarFormat.wrapperTrailer(m.payloadSize()))
                        .isEqualTo(Arrays.copyOfRange(blob, (int) end, blob.length));
            }
        }
    }

    @Test
    void plainDataIsNotTar() throws Exception {
        assertThat(TarFormat.firstFile(MemoryDevice.wrap(new byte[4096]))).isEmpty();
        assertThat(TarFormat.firstFile(MemoryDevice.wrap(new byte[10]))).isEmpty();
        byte[] zfileLike = Files.readAllBytes(InteropFixtures.path("zfile/input.lz4.4k.crc.zfile"));
        assertThat(TarFormat.firstFile(MemoryDevice.wrap(zfileLike))).isEmpty();
    }

    @Test
    void walksGnuLongNamesDirectoriesAndPaxPath() throws Exception {
        byte[] payload = "hello tar".getBytes(StandardCharsets.US_ASCII);
        byte[] longName = ("d/" + "x".repeat(150)).getBytes(StandardCharsets.US_ASCII);
        byte[] archive = concat(
                header("dir/", '5', 0, true), // a directory entry first
                header("././@LongLink", 'L', longName.length + 1, true), pad(Arrays.copyOf(longName,
                        longName.length + 1)),
                header("truncated-name", '0', payload.length, true), pad(payload), new byte[1024]);
        TarFormat.Member m = TarFormat.firstFile(MemoryDevice.wrap(archive)).orElseThrow();
        assertThat(m.name()).isEqualTo(new String(longName, StandardCharsets.US_ASCII));
        assertThat(m.payloadOffset()).isEqualTo(4 * 512);
        assertThat(m.payloadSize()).isEqualTo(payload.length);

        byte[] pax = "20 path=real/name.x\n".getBytes(StandardCharsets.US_ASCII);
        byte[] posix = concat(header("PaxHeaders/x", 'x', pax.length, false), pad(pax),
                header("name.x", '0', payload.length, false), pad(payload), new byte[1024]);
        TarFormat.Member p = TarFormat.firstFile(MemoryDevice.wrap(posix)).orElseThrow();
        assertThat(p.name()).isEqualTo("real/name.x");
        assertThat(p.payloadOffset()).isEqualTo(3 * 512);
    }

    @Test
    void rejectsTruncatedAndLyingArchives() {
        byte[] big = concat(header("f", '0', 1 << 20, false), new byte[512]);
        assertThatThrownBy(() -> TarFormat.firstFile(MemoryDevice.wrap(big, 0, big.length, "t.tar")))
                .isInstanceOf(FormatException.class)
                .hasMessageContaining("t.tar").hasMessageContaining("offset 0");
        byte[] onlyDir = concat(header("d/", '5', 0, false), new byte[1024]);
        assertThatThrownBy(() -> TarFormat.firstFile(MemoryDevice.wrap(onlyDir)))
                .isInstanceOf(FormatException.class).hasMessageContaining("offset 512");
        byte[] badPax = "99 size=12\n".getBytes(StandardCharsets.US_ASCII);
        byte[] lying = concat(header("p", 'x', badPax.length, false), pad(badPax), header("f", '0', 0, false),
                new byte[1024]);
        assertThatThrownBy(() -> TarFormat.firstFile(MemoryDevice.wrap(lying)))
                .isInstanceOf(FormatException.class).hasMessageContaining("pax record");
    }

    @Test
    void detectsCorruptHeaderChecksum() {
        byte[] h = header("f", '0', 0, false);
        assertThat(TarFormat.isTarHeader(h)).isTrue();
        h[10] ^= 1;
        assertThat(TarFormat.isTarHeader(h)).isFalse();
    }

    private static byte[] header(String name, char type, long size, boolean gnu) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(n, 0, h, 0, Math.min(100, n.length));
        put(h, 100, "0000644\0");
        put(h, 124, String.format("%011o ", size));
        h[156] = (byte) type;
        put(h, 257, gnu ? "ustar  \0" : "ustar\00000");
        Arrays.fill(h, 148, 156, (byte) ' ');
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xFF;
        }
        put(h, 148, String.format("%06o\0 ", sum));
        return h;
    }

    private static void put(byte[] b, int off, String s) {
        byte[] x = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(x, 0, b, off, x.length);
    }

    private static byte[] pad(byte[] b) {
        return Arrays.copyOf(b, (b.length + 511) / 512 * 512);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    @Test
    void checksumIsCheckedWithoutTheMagic() {
        byte[] h = header("v7", '0', 0, false);
        java.util.Arrays.fill(h, 257, 265, (byte) 0); // an old v7 header: no magic, so not unwrapped
        h[148] = 0; // re-sum with the magic gone
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        int sum = 0;
        for (byte b : h) {
            sum += b & 0xFF;
        }
        put(h, 148, String.format("%06o\0 ", sum));
        assertThat(TarFormat.checksumMatches(h)).isTrue();
        assertThat(TarFormat.isTarHeader(h)).isFalse();
        h[0] ^= 1;
        assertThat(TarFormat.checksumMatches(h)).isFalse();
        assertThat(TarFormat.checksumMatches(new byte[100])).isFalse();
    }
}
