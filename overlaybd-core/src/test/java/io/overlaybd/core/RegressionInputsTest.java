package io.overlaybd.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** One tiny named input per defect found by fuzzing, kept in {@code src/test/resources/regress}. */
class RegressionInputsTest {

    static Path input(String name) throws URISyntaxException {
        return Path.of(RegressionInputsTest.class.getResource("/regress/" + name).toURI());
    }

    /**
     * A pax record whose length field says 2147483647: adding it to the record's position overflowed an int and
     * the parser indexed outside the extended header (ArrayIndexOutOfBoundsException).
     */
    @Test
    void paxRecordLengthNear2pow31IsAFormatError() throws Exception {
        Path tar = input("pax-record-length-overflow.tar");
        try (FileDevice d = FileDevice.open(tar)) {
            assertThatThrownBy(() -> TarFormat.firstFile(d))
                    .isInstanceOf(FormatException.class)
                    .hasMessageContaining("pax record")
                    .hasMessageContaining("record length 2147483647 does not fit")
                    .hasMessageContaining("at offset 526")
                    .hasMessageContaining(tar.toString())
                    .satisfies(e -> assertThat(((FormatException) e).offset()).isEqualTo(512 + 14));
        }
    }

    @Test
    void paxRecordLengthRule() throws Exception {
        byte[] ok = "11 path=ab\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(TarFormat.paxRecordLength(ok, 0, 2, ok.length, "r", 0)).isEqualTo(11);
        for (String bad : new String[] {"+2 x=\n", "-5 path=a\n", "99999999999 a=b\n", "5 a=b\n",
            "13 path=abc\n", " 1 a=b\n"}) {
            byte[] b = bad.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            int sp = 0;
            while (sp < b.length && b[sp] != ' ' && sp <= 10) {
                sp++;
            }
            int space = sp;
            assertThatThrownBy(() -> TarFormat.paxRecordLength(b, 0, space, b.length, "r", 7))
                    .as(bad).isInstanceOf(FormatException.class).hasMessageContaining("at offset 7 in r");
        }
    }
}
