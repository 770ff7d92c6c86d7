package io.overlaybd.lsmt;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.testing.InteropFixtures;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks a device against EXPECTED.md: whole-device sha256, spot checks, per-MiB hashes and the zero claim. */
final class DeviceChecks {
    static final int MIB = 1 << 20;

    private DeviceChecks() {
    }

    /** @return the whole-device sha256 listed in a stack table row named {@code name}. */
    static String wholeHash(String name) {
        Matcher m = Pattern.compile("^\\| " + Pattern.quote(name) + " \\|.*`([0-9a-f]{64})` \\|\\s*$",
                Pattern.MULTILINE).matcher(InteropFixtures.expected().text());
        if (!m.find()) {
            throw new IllegalArgumentException("no whole-device hash for " + name);
        }
        return m.group(1);
    }

    /**
     * Hashes the whole device in one pass while checking the per-MiB table of {@code section} (if not null): listed
     * MiBs must hash as listed, every other MiB must be zeros; also checks the zero claim against the extents when
     * the device has an index.
     */
    static void checkWhole(RandomAccessBlockDevice dev, String expectedSha, String mibSection) throws IOException {
        Map<Long, String> mibs = mibSection == null ? Map.of() : InteropFixtures.expected().mibHashes(mibSection);
        if (mibSection != null) {
            assertThat(mibs).as("MiB table of " + mibSection).isNotEmpty();
        }
        MessageDigest whole = Fixtures.sha();
        byte[] buf = new byte[MIB];
        long size = dev.size();
        for (long pos = 0, k = 0; pos < size; pos += MIB, k++) {
            int n = (int) Math.min(MIB, size - pos);
            dev.readFully(pos, buf, 0, n);
            whole.update(buf, 0, n);
            if (mibSection != null) {
                String want = mibs.get(k);
                if (want != null) {
                    MessageDigest one = Fixtures.sha();
                    one.update(buf, 0, n);
                    assertThat(Fixtures.hex(one.digest())).as("MiB %d of %s", k, mibSection).isEqualTo(want);
                } else {
                    assertThat(isZero(buf, n)).as("MiB %d of %s is zeros", k, mibSection).isTrue();
                }
            }
        }
        assertThat(Fixtures.hex(whole.digest())).as("sha256 of " + dev.description()).isEqualTo(expectedSha);
        if (mibSection != null && Extents.isSupported(dev)) {
            checkZeroClaimByExtents(dev, mibs.keySet());
        }
    }

    /** Every MiB holding DATA extents is listed, or its data is all zeros (data can hold zero bytes). */
    static void checkZeroClaimByExtents(RandomAccessBlockDevice dev, java.util.Set<Long> listed) throws IOException {
        TreeSet<Long> withData = new TreeSet<>();
        for (Extent e : Extents.of(dev)) {
            if (e.kind() == Extent.Kind.DATA) {
                for (long m = e.offset() / MIB; m <= (e.end() - 1) / MIB; m++) {
                    withData.add(m);
                }
            }
        }
        byte[] buf = new byte[MIB];
        for (long m : withData) {
            if (!listed.contains(m)) {
                int n = (int) Math.min(MIB, dev.size() - m * MIB);
                dev.readFully(m * MIB, buf, 0, n);
                assertThat(isZero(buf, n)).as("unlisted MiB %d with data is zeros", m).isTrue();
            }
        }
    }

    static void checkSpots(RandomAccessBlockDevice dev, String section) throws IOException {
        List<InteropFixtures.SpotCheck> spots = InteropFixtures.expected().spotChecks(section);
        assertThat(spots).as("spot checks of " + section).isNotEmpty();
        for (InteropFixtures.SpotCheck s : spots) {
            assertThat(InteropFixtures.sha256(dev, s.offset(), s.length())).as("%s at %d+%d (%s)", section,
                    s.offset(), s.length(), s.note()).isEqualTo(s.sha256());
        }
    }

    static boolean isZero(byte[] b, int n) {
        for (int i = 0; i < n; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
