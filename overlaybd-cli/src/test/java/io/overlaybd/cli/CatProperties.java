package io.overlaybd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.testing.InteropFixtures;
import io.overlaybd.testing.SkipWithoutFixtures;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** {@code cat --offset --length} on a tar-wrapped ZFile is the same slice of the original file, for any range. */
@AddLifecycleHook(SkipWithoutFixtures.class)
class CatProperties {
    static byte[] original;

    static byte[] original() throws IOException {
        if (original == null) {
            original = Files.readAllBytes(InteropFixtures.path("zfile/small_input.bin"));
        }
        return original;
    }

    @Property(tries = 60)
    void anyRangeIsTheOriginalSlice(@ForAll @IntRange(min = 0, max = 70_000) int offset,
                                    @ForAll @IntRange(min = 0, max = 80_000) int length,
                                    @ForAll boolean suffix) throws IOException {
        byte[] src = original();
        String off = suffix && offset % 1024 == 0 ? (offset / 1024) + "k" : Integer.toString(offset);
        Cli.Result r = Cli.run("cat", "--offset", off, "--length", Integer.toString(length),
                InteropFixtures.path("zfile/small.lz4.4k.crc.tar.zfile").toString());
        assertThat(r.code()).as(r.toString()).isZero();
        int end = (int) Math.min(src.length, (long) offset + length);
        assertThat(r.out()).isEqualTo(Arrays.copyOfRange(src, offset, end));
    }
}
