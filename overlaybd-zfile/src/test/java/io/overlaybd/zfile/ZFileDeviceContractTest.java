package io.overlaybd.zfile;

import io.overlaybd.core.FileDevice;
import io.overlaybd.core.MemoryDevice;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.core.SliceDevice;
import io.overlaybd.core.TarFormat;
import io.overlaybd.testing.RandomAccessBlockDeviceContract;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

/** The device contract for ZFile devices of both codecs, several block sizes, CRC on and off, cache on and off. */
class ZFileDeviceContractTest {

    abstract static class Base extends RandomAccessBlockDeviceContract {
        abstract ZFileWriter writer();

        ZFileDevice.Options options() {
            return ZFileDevice.Options.defaults();
        }

        @Override
        protected RandomAccessBlockDevice open(byte[] content) throws Exception {
            return ZFileDevice.open(MemoryDevice.wrap(writer().compress(content)), options(), true);
        }

        @Override
        protected long[] boundaries() {
            int bs = writer().blockSize();
            return new long[] {bs, 2L * bs, 3L * bs, 512, 4096, 16384, 65536, 131072, contentSize() - 1000};
        }
    }

    @Nested
    class Lz4Crc4k extends Base {
        @Override
        ZFileWriter writer() {
            return ZFileWriter.builder().build();
        }
    }

    @Nested
    class Lz4NoCrc16kUncached extends Base {
        @Override
        ZFileWriter writer() {
            return ZFileWriter.builder().blockSize(16384).blockCrc(false).build();
        }

        @Override
        ZFileDevice.Options options() {
            return ZFileDevice.Options.defaults().cacheBlocks(0);
        }
    }

    @Nested
    class Lz4Crc64kCrcNotChecked extends Base {
        @Override
        ZFileWriter writer() {
            return ZFileWriter.builder().blockSize(65536).build();
        }

        @Override
        ZFileDevice.Options options() {
            return ZFileDevice.Options.defaults().verifyCrc(false);
        }
    }

    @Nested
    class ZstdCrc4k extends Base {
        @Override
        ZFileWriter writer() {
            return ZFileWriter.builder().algorithm(ZFileAlgorithm.ZSTD).build();
        }
    }

    @Nested
    class ZstdNoCrc32k extends Base {
        @Override
        ZFileWriter writer() {
            return ZFileWriter.builder().algorithm(ZFileAlgorithm.ZSTD).blockSize(32768).blockCrc(false).build();
        }
    }

    @Nested
    class ZstdCrc64kOneCachedBlock extends Base {
        @Override
        ZFileWriter writer() {
            return ZFileWriter.builder().algorithm(ZFileAlgorithm.ZSTD).blockSize(65536).build();
        }

        @Override
        ZFileDevice.Options options() {
            return ZFileDevice.Options.defaults().cacheBlocks(1);
        }
    }

    /** A tar-wrapped, header-rewritten file on disk, read through a tar slice of a file device. */
    @Nested
    class Lz4Crc8kTarOnDisk extends Base {
        @TempDir
        Path tmp;

        @Override
        ZFileWriter writer() {
            return ZFileWriter.builder().blockSize(8192).tar(true).overwriteHeader(true).threads(2).build();
        }

        @Override
        protected RandomAccessBlockDevice open(byte[] content) throws Exception {
            Path f = Files.createTempFile(tmp, "contract", ".tar.zfile");
            writer().write(MemoryDevice.wrap(content), f);
            FileDevice file = FileDevice.open(f);
            TarFormat.Member m = TarFormat.firstFile(file).orElseThrow();
            return ZFileDevice.open(SliceDevice.of(file, m.payloadOffset(), m.payloadSize(), "slice", true), true);
        }
    }
}
