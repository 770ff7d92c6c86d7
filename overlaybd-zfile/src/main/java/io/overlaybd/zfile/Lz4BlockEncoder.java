package io.overlaybd.zfile;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * The LZ4 block encoder of the writer: lz4-java's JNI {@code fastCompressor()} (liblz4's {@code LZ4_compress_default}
 * through {@code LZ4_compress_limitedOutput}, no state kept between calls) where its native library loads, otherwise
 * lz4-java's pure-Java {@code safeInstance().fastCompressor()}. Stateless and safe for concurrent use.
 *
 * <p>Why lz4-java 1.12.1 (pinned in the root pom): its bundled liblz4 1.10.0 gives exactly the blocks of the
 * reference's vendored liblz4 1.8.3 on every LZ4 fixture (the {@code zfile/} inputs, the committed and merged layers
 * of {@code lsmt/}, {@code base/ext4_64}: see {@code Lz4EncoderIdentityTest}), so our layers have the reference's
 * digests. lz4-java 1.13.0 changed no Java code and only moved the bundled library to liblz4 1.11.0, whose encoder
 * picks other matches (with 1.13.0 or 1.14.0, 751 of input.bin's 1025 4 KiB blocks and 1 of its 65 64 KiB blocks are
 * identical, measured here); 1.14.0 then made the pure-Java decoders reject the malformed block ends that liblz4
 * 1.11.0 rejects, and reworded JNI error messages. Neither is a memory-safety fix: the 1.12.1 decoders already stay in
 * bounds, and the reader decodes with {@code LZ4_decompress_safe}, bounds-checked in liblz4 1.10.0 too. Every
 * security release so far is included: 1.12.1 is itself one (GHSA-48mj-8f7c-7qfm), after 1.11.4's three advisories
 * and the CVE-2025-12183 / CVE-2025-66566 fixes of the 1.8.1-1.10 line; 1.13.0 and 1.14.0 name none.
 *
 * <p>The pure-Java encoder (used only where no native library can be loaded: an unsupported platform, or a JVM that
 * forbids native access) ends its match search one position earlier near the end of a block, so about 1% of 4 KiB
 * blocks differ from the reference's in their last sequence: valid LZ4 that any reader decodes, only not the same
 * digest. {@link #isNative()} tells which one runs.
 *
 * <p>The choice is made on first use, so a process that never writes LZ4 never loads the native library for it.
 */
final class Lz4BlockEncoder {
    private Lz4BlockEncoder() {
    }

    /** @return the encoder the writer uses (JNI where it loads, else pure Java). */
    static LZ4Compressor get() {
        return Holder.ENCODER;
    }

    /** @return true if {@link #get()} is the JNI encoder, whose blocks equal the reference's. */
    static boolean isNative() {
        return Holder.NATIVE;
    }

    /** @return lz4-java's pure-Java encoder, the fallback (for tests and benchmarks beside the JNI one). */
    static LZ4Compressor pureJava() {
        return LZ4Factory.safeInstance().fastCompressor();
    }

    private static final class Holder {
        static final LZ4Compressor NATIVE_ENCODER = loadNative();
        static final boolean NATIVE = NATIVE_ENCODER != null;
        static final LZ4Compressor ENCODER = NATIVE ? NATIVE_ENCODER : pureJava();

        private static LZ4Compressor loadNative() {
            try {
                return LZ4Factory.nativeInstance().fastCompressor();
            } catch (LinkageError | UnsupportedOperationException | SecurityException e) {
                // no library for this platform, or native access not allowed: the pure-Java encoder takes over
                return null;
            }
        }
    }
}
