package io.overlaybd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SizeConverterTest {
    @Test
    void parsesPlainAndSuffixedSizes() {
        assertThat(SizeConverter.parse("4096")).isEqualTo(4096);
        assertThat(SizeConverter.parse("4k")).isEqualTo(4096);
        assertThat(SizeConverter.parse("4K")).isEqualTo(4096);
        assertThat(SizeConverter.parse("64KiB")).isEqualTo(65536);
        assertThat(SizeConverter.parse("1m")).isEqualTo(1 << 20);
        assertThat(SizeConverter.parse("2G")).isEqualTo(2L << 30);
        assertThat(SizeConverter.parse("1gb")).isEqualTo(1L << 30);
        assertThat(SizeConverter.parse("3t")).isEqualTo(3L << 40);
        assertThat(SizeConverter.parse("0")).isZero();
    }

    @Test
    void rejectsGarbageNegativeAndOverflow() {
        for (String bad : new String[] {"", "k", "-1", "1.5m", "12x", "99999999999999999999", "9000000000000t"}) {
            assertThatThrownBy(() -> SizeConverter.parse(bad)).as(bad)
                    .isInstanceOf(CommandLine.TypeConversionException.class);
        }
    }
}
