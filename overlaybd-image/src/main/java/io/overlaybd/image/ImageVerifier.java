package io.overlaybd.image;

import io.overlaybd.core.ChecksumMismatchException;
import io.overlaybd.core.FileDevice;
import io.overlaybd.core.FormatException;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.core.SliceDevice;
import io.overlaybd.core.TarFormat;
import io.overlaybd.lsmt.LsmtHeader;
import io.overlaybd.lsmt.LsmtLayer;
import io.overlaybd.lsmt.SegmentIndex;
import io.overlaybd.lsmt.WritableLayer;
import io.overlaybd.zfile.ZFileDevice;
import io.overlaybd.zfile.ZFileHeader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Verifies an image end to end and reports every problem it finds, never stopping at the first: for each blob its
 * tar framing, ZFile header/trailer (magic, flags, digest, index CRC, layout), every ZFile block (CRC, decompression,
 * decompressed length; in parallel), the LSMT header, trailer and index invariants, the blob's sha256 against the
 * config's {@code digest}; across layers the parent chain (optional) and virtual sizes.
 *
 * <p>Instances are immutable and may be reused; {@link #verify} may run concurrently on different images.
 */
public final class ImageVerifier {
    /** Receives progress while blocks are checked: compressed bytes done out of the total. */
    @FunctionalInterface
    public interface Progress {
        void update(long bytesDone, long bytesTotal);
    }

    /** The largest stored block the reference reader can hold (its 64 KiB buffer). */
    static final int REFERENCE_MAX_STORED_BLOCK = 65536;
    private static final int MAX_BLOCK_FINDINGS_PER_LAYER = 50;
    private static final int BLOCKS_PER_TASK = 256;

    private final int threads;
    private final boolean checkChain;
    private final Progress progress;

    private ImageVerifier(int threads, boolean checkChain, Progress progress) {
        this.threads = threads;
        this.checkChain = checkChain;
        this.progress = progress;
    }

    /**
     * @param threads    threads checking ZFile blocks (at least 1)
     * @param checkChain whether each layer's parent uuid must equal the uuid of the layer below
     * @param progress   progress callback, or null
     */
    public static ImageVerifier create(int threads, boolean checkChain, Progress progress) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        return new ImageVerifier(threads, checkChain, progress);
    }

    /** Verifies a config.json (recognised by content) or a list of blobs, lowest first. */
    public VerifyReport verify(List<Path> inputs) throws IOException {
        if (inputs.size() == 1 && Files.isRegularFile(inputs.get(0)) && Image.isJsonConfig(inputs.get(0))) {
            return verifyConfig(inputs.get(0));
        }
        List<Source> sources = new ArrayList<>();
        for (Path p : inputs) {
            sources.add(new Source(p, null, -1, p.toString()));
        }
        return run(inputs, null, sources, null);
    }

    /** Verifies the image a config.json describes; a config that cannot be read throws {@link ConfigException}. */
    public VerifyReport verifyConfig(Path config) throws IOException {
        ImageConfig cfg = ImageConfig.read(config);
        List<Source> sources = new ArrayList<>();
        List<Finding> early = new ArrayList<>();
        for (ImageConfig.Lower l : cfg.lowers()) {
            try {
                sources.add(new Source(cfg.blobFile(l), l.digest(), l.size(), l.label()));
            } catch (ConfigException e) {
                early.add(new Finding(Finding.Severity.ERROR, "config.layer-missing", config.toString(), l.label(),
                        -1, e.getMessage()));
                sources.add(new Source(null, l.digest(), l.size(), l.label()));
            }
        }
        return run(List.of(config), cfg, sources, early);
    }

    private record Source(Path path, String digest, long size, String label) {
    }

    /** What one layer turned out to be, for the cross-layer checks. */
    private record LayerFacts(String file, LsmtLayer layer, long virtualSize, UUID uuid, UUID parent) {
    }

    private VerifyReport run(List<Path> inputs, ImageConfig cfg, List<Source> sources, List<Finding> early)
            throws IOException {
        List<Finding> findings = new ArrayList<>();
        if (early != null) {
            findings.addAll(early);
        }
        List<Map<String, Object>> layers = new ArrayList<>();
        List<LayerFacts> facts = new ArrayList<>();
        List<AutoCloseable> open = new ArrayList<>();
        long total = 0;
        for (Source s : sources) {
            if (s.path() != null && Files.isRegularFile(s.path())) {
                total += Files.size(s.path());
            }
        }
        AtomicLong done = new AtomicLong();
        ExecutorService pool = threads > 1 ? Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "overlaybd-verify");
            t.setDaemon(true);
            return t;
        }) : null;
        try {
            for (int i = 0; i < sources.size(); i++) {
                Source s = sources.get(i);
                Map<String, Object> info = new LinkedHashMap<>();
                info.put("index", i);
                info.put("file", s.path() != null ? s.path().toString() : s.label());
                info.put("kind", "unreadable");
                layers.add(info);
                if (s.path() == null) {
                    facts.add(null);
                    continue;
                }
                facts.add(verifyBlob(s, info, findings, open, pool, done, total));
            }
            Map<String, Object> image = new LinkedHashMap<>();
            List<String> in = new ArrayList<>();
            for (Path p : inputs) {
                in.add(p.toString());
            }
            image.put("inputs", in);
            image.put("config", cfg != null ? cfg.source().toString() : null);
            image.put("chainChecked", checkChain);
            if (cfg != null && cfg.upper().isPresent()) {
                verifyUpper(cfg.upper().get(), layers, findings, facts, open);
            }
            crossLayer(facts, findings, image, sources.size());
            return new VerifyReport(layers, findings, image);
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // verification results stand; a failing close of a read-only file changes nothing
                }
            }
        }
    }

    private LayerFacts verifyBlob(Source s, Map<String, Object> info, List<Finding> findings,
                                  List<AutoCloseable> open, ExecutorService pool, AtomicLong done, long total)
            throws IOException {
        String file = s.path().toString();
        FileDevice dev;
        try {
            dev = FileDevice.open(s.path());
        } catch (NoSuchFileException e) {
            findings.add(error("blob.missing", file, null, -1, "no such file"));
            return null;
        }
        open.add(dev);
        long blobSize = dev.size();
        info.put("blobSize", blobSize);
        String sha = sha256(s.path());
        info.put("sha256", sha);
        info.put("expectedDigest", s.digest());
        if (s.digest() != null && !s.digest().equalsIgnoreCase("sha256:" + sha)) {
            findings.add(error("blob.digest", file, null, -1, "sha256 is " + sha + " but the config says "
                    + s.digest()));
        }
        if (s.size() >= 0 && s.size() != blobSize) {
            findings.add(error("blob.size", file, null, -1, "size is " + blobSize + " bytes but the config says "
                    + s.size()));
        }
        RandomAccessBlockDevice content = dev;
        long base = 0; // offset of the payload in the file, so findings carry file offsets
        try {
            var member = TarFormat.firstFile(dev);
            if (member.isPresent()) {
                TarFormat.Member m = member.get();
                Map<String, Object> tar = new LinkedHashMap<>();
                tar.put("member", m.name());
                tar.put("payloadOffset", m.payloadOffset());
                tar.put("payloadSize", m.payloadSize());
                info.put("tar", tar);
                long minimal = m.payloadOffset() + ((m.payloadSize() + 511) & -512L) + 1024;
                if (blobSize < minimal) {
                    findings.add(error("tar.truncated", file, "tar end-of-archive", m.payloadOffset()
                            + m.payloadSize(), "the archive ends at " + blobSize + " bytes, before its padding and"
                            + " two zero blocks (" + minimal + " bytes expected)"));
                }
                content = SliceDevice.of(dev, m.payloadOffset(), m.payloadSize(), "tar(" + file + ")", false);
                base = m.payloadOffset();
            }
        } catch (FormatException e) {
            findings.add(fromFormat("tar.header", file, 0, e));
            return null;
        }
        ZFileDevice zfile = null;
        if (content.size() >= 512 && ZFileDevice.isZFile(content)) {
            zfile = verifyZFile(file, content, base, info, findings, pool, done, total);
            if (zfile == null) {
                return null;
            }
            open.add(zfile);
            content = zfile;
        } else {
            done.addAndGet(blobSize);
            report(done.get(), total);
        }
        if (!LsmtLayer.isLsmt(content)) {
            info.put("kind", zfile != null ? "zfile" : "raw");
            return new LayerFacts(file, null, -1, null, null);
        }
        info.put("kind", zfile != null ? "zfile-lsmt" : "lsmt");
        String where = zfile != null ? file + " (decompressed)" : file;
        long lsmtBase = zfile != null ? 0 : base;
        LsmtLayer layer;
        try {
            layer = LsmtLayer.open(content, false);
        } catch (FormatException e) {
            findings.add(fromFormat("lsmt.invalid", where, lsmtBase, e));
            return null;
        }
        open.add(layer);
        LsmtHeader h = layer.header();
        LsmtHeader t = layer.trailer();
        SegmentIndex idx = layer.index();
        Map<String, Object> l = new LinkedHashMap<>();
        l.put("virtualSize", layer.virtualSize());
        l.put("uuid", layer.uuid() != null ? LsmtHeader.format(layer.uuid()) : null);
        l.put("parentUuid", layer.parentUuid() != null ? LsmtHeader.format(layer.parentUuid()) : null);
        l.put("userTag", t.userTag());
        l.put("segments", idx.size());
        l.put("dataSegments", idx.size() - idx.zeroedCount());
        l.put("zeroedSegments", idx.zeroedCount());
        l.put("indexOffset", t.indexOffset());
        l.put("indexEntries", t.indexSize());
        info.put("lsmt", l);
        if (h.flags() != 0x7 && h.flags() != 0x3 && h.flags() != 0x13) {
            findings.add(new Finding(Finding.Severity.NOTE, "lsmt.header.flags", where, "lsmt header", lsmtBase,
                    String.format("unusual header flags 0x%x (committed layers have 0x7)", h.flags())));
        }
        if (h.virtualSize() != t.virtualSize() || !Objects.equals(h.uuid(), t.uuid())) {
            findings.add(new Finding(Finding.Severity.WARNING, "lsmt.header.mismatch", where, "lsmt header",
                    lsmtBase, "header and trailer disagree (virtual size " + h.virtualSize() + " vs "
                    + t.virtualSize() + ", uuid " + h.uuidText() + " vs " + t.uuidText() + "); the trailer is used"));
        }
        long vsizeSectors = layer.virtualSize() / 512;
        if (!idx.isEmpty() && idx.end(idx.size() - 1) > vsizeSectors) {
            findings.add(new Finding(Finding.Severity.WARNING, "lsmt.index.beyond-size", where, "lsmt index",
                    lsmtBase + t.indexOffset(), "mappings reach sector " + idx.end(idx.size() - 1)
                    + ", beyond the virtual size of " + vsizeSectors + " sectors; those bytes are never read"));
        }
        return new LayerFacts(file, layer, layer.virtualSize(), layer.uuid(), layer.parentUuid());
    }

    private ZFileDevice verifyZFile(String file, RandomAccessBlockDevice content, long base, Map<String, Object> info,
                                    List<Finding> findings, ExecutorService pool, AtomicLong done, long total)
            throws IOException {
        byte[] block = new byte[512];
        content.readFully(0, block, 0, 512);
        ZFileHeader header = ZFileHeader.decode(block);
        if (!header.hasDigest() && (header.nonZeroTailBytes() > 0 || (header.flags() >>> 6) != 0
                || header.reserved0() != 0)) {
            findings.add(new Finding(Finding.Severity.NOTE, "zfile.header.legacy-garbage", file, "zfile header", base,
                    "reserved fields and high flag bits hold garbage (a legacy writer's uninitialised memory); no "
                            + "digest protects them, and readers ignore them"));
        }
        ZFileDevice z;
        try {
            z = ZFileDevice.open(content, false);
        } catch (FormatException e) {
            findings.add(fromFormat("zfile.invalid", file, base, e));
            return null;
        }
        ZFileHeader eff = z.effectiveHeader();
        long payload = content.size();
        long tableEnd = eff.indexOffset() + 4 * eff.indexSize();
        if (tableEnd + 512 != payload) {
            findings.add(error("zfile.layout", file, "zfile trailer", base + Math.min(tableEnd, payload),
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
                findings.add(error("zfile.trailer", file, "zfile trailer", base + payload - 512,
                        "the trailer is missing or disagrees with the overwritten header"));
            }
        }
        Map<String, Object> zi = new LinkedHashMap<>();
        zi.put("algorithm", z.algorithm().name().toLowerCase(java.util.Locale.ROOT));
        zi.put("blockSize", z.blockSize());
        zi.put("blocks", z.blockCount());
        zi.put("blockCrc", z.hasBlockCrc());
        zi.put("originalSize", z.size());
        zi.put("compressedSize", payload);
        zi.put("headerOverwritten", z.trailer() == null || (z.header() != null && z.header().isHeaderOverwrite()));
        info.put("zfile", zi);
        int oversize = 0;
        int firstOversize = -1;
        for (int i = 0; i < z.blockCount(); i++) {
            if (z.storedBlockLength(i) > REFERENCE_MAX_STORED_BLOCK) {
                if (oversize++ == 0) {
                    firstOversize = i;
                }
            }
        }
        if (oversize > 0) {
            findings.add(new Finding(Finding.Severity.WARNING, "zfile.block.oversize", file, "zfile block "
                    + firstOversize, base + z.blockOffset(firstOversize), oversize + " stored block(s) exceed "
                    + REFERENCE_MAX_STORED_BLOCK + " bytes: readable here, but the reference reader rejects them "
                    + "(use a block size of at most 32 KiB)"));
        }
        List<Finding> blockFindings = checkBlocks(file, z, base, pool, done, total);
        int bad = blockFindings.size();
        for (int k = 0; k < Math.min(bad, MAX_BLOCK_FINDINGS_PER_LAYER); k++) {
            findings.add(blockFindings.get(k));
        }
        if (bad > MAX_BLOCK_FINDINGS_PER_LAYER) {
            findings.add(error("zfile.block.more", file, "zfile blocks", -1, (bad - MAX_BLOCK_FINDINGS_PER_LAYER)
                    + " more bad blocks not listed"));
        }
        zi.put("blocksChecked", z.blockCount());
        zi.put("badBlocks", bad);
        return z;
    }

    private List<Finding> checkBlocks(String file, ZFileDevice z, long base, ExecutorService pool, AtomicLong done,
                                      long total) throws IOException {
        int n = z.blockCount();
        List<Finding> out = new ArrayList<>();
        if (pool == null || n <= BLOCKS_PER_TASK) {
            checkRange(file, z, base, 0, n, out, done, total);
            return out;
        }
        List<Future<List<Finding>>> parts = new ArrayList<>();
        for (int from = 0; from < n; from += BLOCKS_PER_TASK) {
            int start = from;
            int end = Math.min(n, from + BLOCKS_PER_TASK);
            parts.add(pool.submit(() -> {
                List<Finding> part = new ArrayList<>();
                checkRange(file, z, base, start, end, part, done, total);
                return part;
            }));
        }
        for (Future<List<Finding>> f : parts) {
            try {
                out.addAll(f.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("verification interrupted", e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IOException("block check failed: " + e.getCause(), e.getCause());
            }
        }
        return out;
    }

    private void checkRange(String file, ZFileDevice z, long base, int from, int to, List<Finding> out,
                            AtomicLong done, long total) throws IOException {
        for (int i = from; i < to; i++) {
            try {
                z.checkBlock(i);
            } catch (ChecksumMismatchException e) {
                out.add(error("zfile.block.checksum", file, "zfile block " + i, base + z.blockOffset(i),
                        e.getMessage()));
            } catch (FormatException e) {
                out.add(error("zfile.block.corrupt", file, "zfile block " + i, base + z.blockOffset(i),
                        e.getMessage()));
            }
            long d = done.addAndGet(z.storedBlockLength(i));
            if ((i & 255) == 0) {
                report(d, total);
            }
        }
    }

    private void verifyUpper(ImageConfig.Upper upper, List<Map<String, Object>> layers, List<Finding> findings,
                             List<LayerFacts> facts, List<AutoCloseable> open) {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("index", layers.size());
        info.put("file", upper.data().toString());
        info.put("kind", "unreadable");
        layers.add(info);
        try {
            WritableLayer w = WritableLayer.openReadOnly(upper.data(), upper.index());
            open.add(w);
            info.put("kind", "writable");
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("virtualSize", w.virtualSize());
            l.put("uuid", w.uuid() != null ? LsmtHeader.format(w.uuid()) : null);
            l.put("parentUuid", w.parentUuid() != null ? LsmtHeader.format(w.parentUuid()) : null);
            l.put("segments", w.index().size());
            info.put("lsmt", l);
            facts.add(new LayerFacts(upper.data().toString(), null, w.virtualSize(), w.uuid(), w.parentUuid()));
        } catch (FormatException e) {
            findings.add(fromFormat("upper.invalid", upper.data().toString(), 0, e));
            facts.add(null);
        } catch (IOException e) {
            findings.add(error("upper.unreadable", upper.data().toString(), "writable layer", -1, e.toString()));
            facts.add(null);
        }
    }

    private void crossLayer(List<LayerFacts> facts, List<Finding> findings, Map<String, Object> image, int lowers) {
        boolean multi = facts.size() > 1;
        Long vsize = null;
        List<SegmentIndex> topFirst = new ArrayList<>();
        boolean allLayers = true;
        for (int i = facts.size() - 1; i >= 0; i--) {
            LayerFacts f = facts.get(i);
            if (f == null) {
                allLayers = false;
                continue;
            }
            if (f.virtualSize() < 0) {
                allLayers = false;
                if (multi) {
                    findings.add(error("image.not-a-layer", f.file(), null, -1, "not an LSMT layer, so it cannot be "
                            + "stacked"));
                }
                continue;
            }
            if (vsize == null && f.virtualSize() > 0) {
                vsize = f.virtualSize(); // the topmost layer with a size decides (FORMAT.md §4)
            }
            if (f.layer() != null) {
                topFirst.add(f.layer().index());
            }
        }
        image.put("virtualSize", vsize);
        for (int i = 0; i < facts.size(); i++) {
            LayerFacts f = facts.get(i);
            if (f != null && vsize != null && f.virtualSize() > vsize) {
                findings.add(new Finding(Finding.Severity.WARNING, "image.vsize", f.file(), null, -1,
                        "layer " + i + " has virtual size " + f.virtualSize() + ", larger than the image's "
                                + vsize + " (taken from the top layer): its data beyond that is hidden"));
            }
        }
        if (allLayers && !topFirst.isEmpty()) {
            try {
                image.put("mergedSegments", SegmentIndex.merge(topFirst).size());
            } catch (RuntimeException e) {
                findings.add(error("image.merge", null, "merged index", -1, e.getMessage()));
            }
        }
        if (checkChain) {
            for (int i = 1; i < facts.size(); i++) {
                LayerFacts below = facts.get(i - 1);
                LayerFacts f = facts.get(i);
                if (below == null || f == null || f.virtualSize() < 0 || below.virtualSize() < 0) {
                    continue;
                }
                if (f.parent() == null) {
                    findings.add(new Finding(Finding.Severity.WARNING, "image.chain.no-parent", f.file(),
                            "lsmt trailer", -1, "layer " + i + " names no parent; the layer below has uuid "
                            + text(below.uuid())));
                } else if (!f.parent().equals(below.uuid())) {
                    findings.add(error("image.chain", f.file(), "lsmt trailer", -1, "layer " + i + " names parent "
                            + text(f.parent()) + " but the layer below (" + below.file() + ") has uuid "
                            + text(below.uuid())));
                }
            }
        }
    }

    private static String text(UUID u) {
        return u == null ? "null" : LsmtHeader.format(u);
    }

    private void report(long d, long total) {
        if (progress != null) {
            progress.update(Math.min(d, total), total);
        }
    }

    private static Finding error(String code, String file, String structure, long offset, String message) {
        return new Finding(Finding.Severity.ERROR, code, file, structure, offset, message);
    }

    /** A format exception becomes an error at its file offset (its own offset is relative to {@code base}). */
    private static Finding fromFormat(String code, String file, long base, FormatException e) {
        long off = e.offset() >= 0 ? base + e.offset() : -1;
        String structure = e.structure();
        String c = code;
        if (e instanceof ChecksumMismatchException) {
            c = code.substring(0, code.indexOf('.')) + ".checksum";
        }
        return new Finding(Finding.Severity.ERROR, c, file, structure, off, e.getMessage());
    }

    private static String sha256(Path p) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(p)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
