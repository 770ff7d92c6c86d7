package io.overlaybd.core;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.overlaybd.testing.FuzzContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * Fuzz target: tar detection, {@link TarFormat#firstFile} on arbitrary bytes (ustar, pax extended headers, GNU long
 * names), the step every blob goes through first. Contract: {@link FuzzContract}, and a member found lies inside the
 * archive after its header.
 *
 * <p>Input layout: the archive's bytes, then one options byte; with bit 0 set, every 512-byte block that carries
 * the {@code ustar} magic gets its header checksum recomputed first, so that mutations reach the fields behind the
 * checksum (pax records, sizes, type flags). Regression inputs: {@code TarFormatFuzzInputs/firstFile} in the test
 * resources (seeds made with GNU tar in ustar, pax and gnu formats, and the fixture's wrapped ZFile).
 */
class TarFormatFuzz {

    /** pax keywords and record lengths near the int limit, which byte mutations rarely spell out. */
    @DictionaryEntries({" path=", " size=", " linkpath=", "2147483647", "4294967295", "9223372036854775807",
        "ustar\u000000", "ustar  \u0000", "././@LongLink", "PaxHeaders"})
    @FuzzTest
    void firstFile(byte[] input) {
        FuzzContract.check("TarFormat.firstFile", () -> run(input));
    }

    static void run(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        byte[] tar = Arrays.copyOf(input, input.length - 1);
        if ((input[input.length - 1] & 1) != 0) {
            fixChecksums(tar);
        }
        if (tar.length >= TarFormat.BLOCK) {
            TarFormat.isTarHeader(Arrays.copyOf(tar, TarFormat.BLOCK));
        }
        Optional<TarFormat.Member> m = TarFormat.firstFile(MemoryDevice.wrap(tar));
        if (m.isPresent()) {
            TarFormat.Member member = m.get();
            if (member.name() == null || member.headerOffset() < 0
                    || member.payloadOffset() < member.headerOffset() + TarFormat.BLOCK
                    || member.payloadSize() < 0 || member.payloadSize() > tar.length - member.payloadOffset()) {
                throw new AssertionError("member outside the archive of " + tar.length + " bytes: " + member);
            }
        }
    }

    /** Recomputes the checksum field of every block with the ustar magic at offset 257. */
    static void fixChecksums(byte[] tar) {
        byte[] magic = "ustar".getBytes(StandardCharsets.US_ASCII);
        for (int at = 0; at + TarFormat.BLOCK <= tar.length; at += TarFormat.BLOCK) {
            if (!Arrays.equals(tar, at + 257, at + 262, magic, 0, 5)) {
                continue;
            }
            Arrays.fill(tar, at + 148, at + 156, (byte) ' ');
            long sum = 0;
            for (int i = 0; i < TarFormat.BLOCK; i++) {
                sum += tar[at + i] & 0xFF;
            }
            byte[] field = String.format("%06o", sum).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(field, 0, tar, at + 148, 6);
            tar[at + 154] = 0;
            tar[at + 155] = ' ';
        }
    }
}
