package io.overlaybd.image;

import io.overlaybd.core.ChecksumMismatchException;
import io.overlaybd.core.FormatException;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.zfile.ZFileDevice;
import io.overlaybd.zfile.ZFileHeader;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * The ZFile part of {@link ImageVerifier}: header and trailer (legacy garbage, altered digest flags, the overwritten
 * header against its trailer), the layout, and every block's CRC, decompression and length, on the verifier's pool.
 * Stateless, so thread-safe.
 */
final class ZFileCheck {
    private static final int MAX_BLOCK_FINDINGS_PER_LAYER = 50;
    private static final int BLOCKS_PER_TASK = 256;
    private static final int ZFILE_OFF_FLAGS = 32;
    private static final int ZFILE_FLAG_DIGEST = 0x10;

    /**
     * Verifies a ZFile: header, trailer, jump table and every block. When the header is unusable (or
     * {@code headerDamaged}, already reported), the rest is still checked through the trailer if it is valid.
     *
     * @return the opened device, or null when neither header nor trailer allows reading the blocks
     */
    ZFileDevice verify(String file, RandomAccessBlockDevice content, long base, Map<String, Object> info,
                                    List<Finding> findings, ExecutorService pool, VerifyProgress tracker,
                                    boolean headerDamaged) throws IOException {
        byte[] block = new byte[512];
        content.readFully(0, block, 0, 512);
        ZFileHeader header = ZFileHeader.decode(block);
        if (!headerDamaged && !header.hasDigest() && (header.nonZeroTailBytes() > 0 || (header.flags() >>> 6) != 0
                || header.reserved0() != 0)) {
            findings.add(new Finding(Finding.Severity.NOTE, "zfile.header.legacy-garbage", file, "zfile header", base,
                    "reserved fields and high flag bits hold garbage (a legacy writer's uninitialised memory); no "
                            + "digest protects them, and readers ignore them"));
        }
        boolean digestFlagCleared = !headerDamaged && digestFlagCleared(block);
        if (digestFlagCleared) {
            findings.add(Finding.error("zfile.header.flags", file, "zfile header", base + ZFILE_OFF_FLAGS, "flag bit 4 "
                    + "(digest) is clear, yet the stored digest matches the block with it set: the flags were "
                    + "altered, and the digest and index CRC are no longer checked"));
        }
        long payload = content.size();
        if (payload >= 1024) {
            content.readFully(payload - 512, block, 0, 512);
            if (digestFlagCleared(block)) {
                findings.add(Finding.error("zfile.trailer.flags", file, "zfile trailer", base + payload - 512
                        + ZFILE_OFF_FLAGS, "flag bit 4 (digest) is clear, yet the stored digest matches the block "
                        + "with it set: the flags were altered, and the digest and index CRC are no longer checked"));
            }
        }
        ZFileDevice z = null;
        if (!headerDamaged) {
            try {
                z = ZFileDevice.open(content, false);
            } catch (FormatException e) {
                findings.add(Finding.fromFormat("zfile.invalid", file, "", base, e));
                if (e.offset() < 0 || e.offset() >= 512) {
                    return null; // the trailer or the jump table: nothing else to read the blocks by
                }
            }
        }
        if (z == null) {
            try {
                z = ZFileDevice.openFromTrailer(content, ZFileDevice.Options.defaults(), false);
            } catch (FormatException e) {
                findings.add(new Finding(Finding.Severity.NOTE, "zfile.trailer.unusable", file, e.structure(),
                        e.offset() >= 0 ? base + e.offset() : -1, "the blocks could not be checked through the "
                        + "trailer either: " + Finding.detail(e)));
                return null;
            }
            findings.add(new Finding(Finding.Severity.NOTE, "zfile.header.bypassed", file, "zfile header", base,
                    "the header could not be used (see the error at the header), but the trailer is valid: the "
                            + "jump table and every block were checked through it"));
        }
        ZFileHeader eff = z.effectiveHeader();
        long tableEnd = eff.indexOffset() + 4 * eff.indexSize();
        if (tableEnd + 512 != payload) {
            findings.add(Finding.error("zfile.layout", file, "zfile trailer", base + Math.min(tableEnd, payload),
                    "the jump table ends at " + tableEnd + " so the file should be " + (tableEnd + 512)
                            + " bytes, but it is " + payload + " (truncated, or bytes appended)"));
        }
        if (z.trailer() == null && payload >= 512 + 512) {
            // header overwrite: the reader never needs the trailer, but a complete file has one that agrees
            content.readFully(payload - 512, block, 0, 512);
            ZFileHeader t = ZFileHeader.decode(block);
            if (!t.magicOk() || t.isHeader() || !t.isSealed() || t.indexOffset() != eff.indexOffset()
                    || t.indexSize() != eff.indexSize() || t.originalFileSize() != eff.originalFileSize()
                    || (t.hasDigest() && !t.digestMatches())) {
                findings.add(Finding.error("zfile.trailer", file, "zfile trailer", base + payload - 512,
                        "the trailer is missing, corrupt or disagrees with the overwritten header"
                                + (t.magicOk() && t.hasDigest() && !t.digestMatches() ? String.format(
                                " (digest: stored 0x%08x, computed 0x%08x)", t.digest(), t.computedDigest())
                                : "")));
            }
        }
        Map<String, Object> zi = new LinkedHashMap<>();
        zi.put("algorithm", z.algorithm().name().toLowerCase(java.util.Locale.ROOT));
        zi.put("blockSize", z.blockSize());
        zi.put("blocks", z.blockCount());
        zi.put("blockCrc", z.hasBlockCrc());
        zi.put("originalSize", z.size());
        zi.put("compressedSize", payload);
        zi.put("headerOverwritten", z.header() != null && z.header().isHeaderOverwrite());
        info.put("zfile", zi);
        int oversize = 0;
        int firstOversize = -1;
        for (int i = 0; i < z.blockCount(); i++) {
            if (z.storedBlockLength(i) > ImageVerifier.REFERENCE_MAX_STORED_BLOCK) {
                if (oversize++ == 0) {
                    firstOversize = i;
                }
            }
        }
        if (oversize > 0) {
            findings.add(new Finding(Finding.Severity.WARNING, "zfile.block.oversize", file, "zfile block "
                    + firstOversize, base + z.blockOffset(firstOversize), oversize + " stored block(s) exceed "
                    + ImageVerifier.REFERENCE_MAX_STORED_BLOCK + " bytes: readable here, but the reference reader rejects them "
                    + "(use a block size of at most 32 KiB)"));
        }
        List<Finding> blockFindings = checkBlocks(file, z, base, pool, tracker);
        int bad = blockFindings.size();
        for (int k = 0; k < Math.min(bad, MAX_BLOCK_FINDINGS_PER_LAYER); k++) {
            findings.add(blockFindings.get(k));
        }
        if (bad > MAX_BLOCK_FINDINGS_PER_LAYER) {
            findings.add(Finding.error("zfile.block.more", file, "zfile blocks", -1, (bad - MAX_BLOCK_FINDINGS_PER_LAYER)
                    + " more bad blocks not listed"));
        }
        zi.put("blocksChecked", z.blockCount());
        zi.put("badBlocks", bad);
        return z;
    }

    /**
     * @return true if a ZFile header or trailer block has flag bit 4 clear although its stored digest is the digest
     *         of the block with bit 4 set: a flipped flag bit that would otherwise disable the digest and index CRC
     */
    static boolean digestFlagCleared(byte[] block512) {
        ZFileHeader h = ZFileHeader.decode(block512);
        if (!h.magicOk() || h.hasDigest() || h.digest() == 0) {
            return false;
        }
        byte[] b = block512.clone();
        b[ZFILE_OFF_FLAGS] |= ZFILE_FLAG_DIGEST;
        return ZFileHeader.decode(b).digestMatches();
    }

    private List<Finding> checkBlocks(String file, ZFileDevice z, long base, ExecutorService pool, VerifyProgress tracker)
            throws IOException {
        int n = z.blockCount();
        List<Finding> out = new ArrayList<>();
        if (pool == null || n <= BLOCKS_PER_TASK) {
            checkRange(file, z, base, 0, n, out, tracker);
            return out;
        }
        List<Future<List<Finding>>> parts = new ArrayList<>();
        for (int from = 0; from < n; from += BLOCKS_PER_TASK) {
            int start = from;
            int end = Math.min(n, from + BLOCKS_PER_TASK);
            parts.add(pool.submit(() -> {
                List<Finding> part = new ArrayList<>();
                checkRange(file, z, base, start, end, part, tracker);
                return part;
            }));
        }
        for (Future<List<Finding>> f : parts) {
            out.addAll(ImageVerifier.join(f));
        }
        return out;
    }

    private void checkRange(String file, ZFileDevice z, long base, int from, int to, List<Finding> out,
                            VerifyProgress tracker) throws IOException {
        long[] pending = {0};
        z.checkBlocks(from, to, (i, failure) -> {
            if (failure instanceof ChecksumMismatchException e) {
                out.add(Finding.error("zfile.block.checksum", file, "zfile block " + i, base + z.blockOffset(i),
                        Finding.detail(e)));
            } else if (failure != null) {
                out.add(Finding.error("zfile.block.corrupt", file, "zfile block " + i, base + z.blockOffset(i),
                        Finding.detail(failure)));
            }
            pending[0] += z.storedBlockLength(i);
            if (((i - from) & 255) == 255) {
                tracker.add(pending[0]);
                pending[0] = 0;
            }
        });
        tracker.add(pending[0]);
    }
}
