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
import java.io.EOFException;
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
 * decompressed length; in parallel), the LSMT header, trailer and index invariants, the blob's sha256 and size
 * against the config's {@code digest} and {@code size}; across layers the parent chain (optional) and virtual sizes.
 * A blob whose start is a damaged or truncated tar header, ZFile header or LSMT magic is reported as such, not
 * taken for plain data.
 *
 * <p><b>Offsets.</b> A finding's {@code offset} is a byte offset in its {@code file} (tar payload offsets already
 * added), except for structures inside a ZFile's decompressed content (the LSMT header, index and trailer of a
 * compressed layer), whose {@code structure} ends with {@value #DECOMPRESSED} and whose offset is in the decompressed
 * content.
 *
 * <p>Instances are immutable and may be reused; {@link #verify} may run concurrently on different images.
 */
public final class ImageVerifier {
    /**
     * Receives progress while blobs are read: bytes of blob files done out of the total. Called from the verifying
     * thread and from block-checking threads (never concurrently: calls are serialized), with {@code bytesDone}
     * never decreasing; the last call has {@code bytesDone == bytesTotal}.
     */
    @FunctionalInterface
    public interface Progress {
        void update(long bytesDone, long bytesTotal);
    }

    /** Suffix of a finding's structure whose offset is in a ZFile's decompressed content. */
    public static final String DECOMPRESSED = " (decompressed)";
    /** The largest stored block the reference reader can hold (its 64 KiB buffer). */
    static final int REFERENCE_MAX_STORED_BLOCK = 65536;
    /** The smallest blob that can be an image layer: a ZFile header and trailer. */
    static final int MIN_BLOB_SIZE = 1024;
    private static final int MAX_BLOCK_FINDINGS_PER_LAYER = 50;
    private static final int BLOCKS_PER_TASK = 256;
    private static final int LSMT_HEADER_SIZE = 4096;
    private static final int LSMT_OFF_PARENT_UUID = 93;
    private static final int ZFILE_OFF_FLAGS = 32;
    private static final int ZFILE_FLAG_DIGEST = 0x10;

    private final int threads;
    private final Chain chain;
    private final Progress progress;
    private final boolean alwaysDigest;

    /** Whether the parent-uuid chain is checked. */
    public enum Chain {
        /** Never. */
        OFF,
        /**
         * When two or more layers are stacked and every one has a uuid: each layer's parent must be the uuid of the
         * layer below, and no layer may appear twice. A note says whether it was checked, and why not.
         */
        AUTO,
        /** Always: as {@link #AUTO}, and the bottom layer must name no parent (its parent is not in the image). */
        ON
    }

    private ImageVerifier(int threads, Chain chain, Progress progress, boolean alwaysDigest) {
        this.threads = threads;
        this.chain = chain;
        this.progress = progress;
        this.alwaysDigest = alwaysDigest;
    }

    /**
     * @return a verifier like this one checking the chain as {@code mode} says ({@link #create} with
     *         {@code checkChain} gives {@link Chain#ON} or {@link Chain#OFF})
     */
    public ImageVerifier withChain(Chain mode) {
        return new ImageVerifier(threads, java.util.Objects.requireNonNull(mode, "mode"), progress, alwaysDigest);
    }

    /**
     * @param threads    threads checking ZFile blocks (at least 1); the report does not depend on it
     * @param checkChain whether each layer's parent uuid must equal the uuid of the layer below
     * @param progress   progress callback, or null
     */
    public static ImageVerifier create(int threads, boolean checkChain, Progress progress) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        return new ImageVerifier(threads, checkChain ? Chain.ON : Chain.OFF, progress, false);
    }

    /**
     * @param always true to compute every blob's sha256 (reported in its layer facts); by default a blob is hashed
     *               only when the config states a {@code digest} to compare with, since hashing is a serial pass
     *               over the whole blob that would otherwise bound the parallel block checks
     * @return a verifier like this one with that choice
     */
    public ImageVerifier withDigests(boolean always) {
        return new ImageVerifier(threads, chain, progress, always);
    }

    /**
     * Verifies a config.json (recognised by content) or a list of blobs, lowest first.
     *
     * @throws NoSuchFileException if an input does not exist (nothing to verify: the caller named a wrong file)
     * @throws ConfigException     if a config cannot be read or parsed
     * @throws IOException         on an I/O error that prevents verification (not on corrupt bytes: those are findings)
     */
    public VerifyReport verify(List<Path> inputs) throws IOException {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("nothing to verify");
        }
        for (Path p : inputs) {
            if (!Files.exists(p)) {
                throw new NoSuchFileException(p.toString());
            }
        }
        if (inputs.size() == 1 && Files.isRegularFile(inputs.get(0)) && Image.isJsonConfig(inputs.get(0))) {
            return verifyConfig(inputs.get(0));
        }
        List<Source> sources = new ArrayList<>();
        for (Path p : inputs) {
            sources.add(new Source(p, null, -1, p.toString()));
        }
        return run(inputs, null, sources, null);
    }

    /**
     * Verifies the image a config.json describes. Layers the config names but that are missing or unusable are
     * findings ({@code config.layer-missing}, {@code config.layer-unsupported}).
     *
     * @throws ConfigException if the config cannot be read or parsed
     */
    public VerifyReport verifyConfig(Path config) throws IOException {
        ImageConfig cfg = ImageConfig.read(config);
        List<Source> sources = new ArrayList<>();
        List<Finding> early = new ArrayList<>();
        List<ImageConfig.Lower> lowers = cfg.lowers();
        if (cfg.accelerationLayer() && !lowers.isEmpty()) {
            lowers = lowers.subList(0, lowers.size() - 1); // not part of the stack, as in Image.openConfig
        }
        for (ImageConfig.Lower l : lowers) {
            try {
                sources.add(new Source(cfg.blobFile(l), l.digest(), l.size(), l.label()));
            } catch (ConfigException e) {
                boolean unsupported = l.targetFile() != null || (l.file() == null && l.dir() == null);
                early.add(new Finding(Finding.Severity.ERROR, unsupported ? "config.layer-unsupported"
                        : "config.layer-missing", config.toString(), l.label(), -1, e.getMessage()));
                sources.add(new Source(null, l.digest(), l.size(), l.label()));
            }
        }
        return run(List.of(config), cfg, sources, early);
    }

    private record Source(Path path, String digest, long size, String label) {
    }

    /**
     * What one layer turned out to be, for the cross-layer checks.
     *
     * @param parentAt   offset of the trailer's parent_uuid field (in the file, or decompressed), -1 if unknown
     * @param parentWhere the structure name for {@code parentAt}
     */
    private record LayerFacts(String file, LsmtLayer layer, long virtualSize, UUID uuid, UUID parent, long parentAt,
                              String parentWhere) {
    }

    /** Progress of one run: monotonic, serialized calls to the callback. */
    private final class Tracker {
        private final long total;
        private final AtomicLong done = new AtomicLong();
        private long reported = -1;

        Tracker(long total) {
            this.total = total;
        }

        void add(long bytes) {
            report(done.addAndGet(bytes));
        }

        /** Marks everything before {@code position} (a sum of whole blob sizes) as done. */
        void setDone(long position) {
            done.set(position);
            report(position);
        }

        synchronized void report(long d) {
            long v = Math.min(d, total);
            if (progress != null && v > reported) {
                reported = v;
                progress.update(v, total);
            }
        }

        synchronized void finish() {
            if (progress != null && reported != total) {
                reported = total;
                progress.update(total, total);
            }
        }
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
        long[] sizes = new long[sources.size()];
        for (int i = 0; i < sources.size(); i++) {
            Path p = sources.get(i).path();
            if (p != null && Files.isRegularFile(p)) {
                sizes[i] = Files.size(p);
                total += sizes[i];
            }
        }
        Tracker tracker = new Tracker(total);
        ExecutorService pool = threads > 1 ? Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "overlaybd-verify");
            t.setDaemon(true);
            return t;
        }) : null;
        try {
            long base = 0;
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
                facts.add(verifyBlob(s, info, findings, open, pool, tracker));
                base += sizes[i];
                tracker.setDone(base);
            }
            tracker.finish();
            Map<String, Object> image = new LinkedHashMap<>();
            List<String> in = new ArrayList<>();
            for (Path p : inputs) {
                in.add(p.toString());
            }
            image.put("inputs", in);
            image.put("config", cfg != null ? cfg.source().toString() : null);
            image.put("chainChecked", chain == Chain.ON);
            if (cfg != null && cfg.upper().isPresent()) {
                verifyUpper(cfg.upper().get(), layers, findings, facts, open);
            }
            crossLayer(facts, findings, image);
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
                                  List<AutoCloseable> open, ExecutorService pool, Tracker tracker)
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
        // hash the blob on the pool while its blocks are checked, so that a second thread is not left waiting
        boolean hash = alwaysDigest || s.digest() != null;
        Future<String> pending = hash && pool != null ? pool.submit(() -> sha256(s.path())) : null;
        String sha = hash && pending == null ? sha256(s.path()) : null;
        info.put("sha256", sha);
        info.put("expectedDigest", s.digest());
        List<Finding> contentFindings = new ArrayList<>();
        LayerFacts facts;
        try {
            facts = verifyContent(file, dev, blobSize, info, contentFindings, open, pool, tracker);
        } catch (EOFException e) {
            // a structure the readers accepted ends past the end of the file: corrupt bytes, not a failure to run
            contentFindings.add(error("blob.truncated", file, null, -1, "unexpected end of file: " + e.getMessage()));
            facts = null;
        }
        if (pending != null) {
            sha = join(pending);
            info.put("sha256", sha);
        }
        if (s.digest() != null && !s.digest().equalsIgnoreCase("sha256:" + sha)) {
            findings.add(error("blob.digest", file, null, -1, "sha256 is " + sha + " but the config says "
                    + s.digest()));
        }
        if (s.size() >= 0 && s.size() != blobSize) {
            findings.add(error("blob.size", file, null, -1, "size is " + blobSize + " bytes but the config says "
                    + s.size()));
        }
        findings.addAll(contentFindings);
        return facts;
    }

    private static <T> T join(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("verification interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("verification failed: " + e.getCause(), e.getCause());
        }
    }

    private LayerFacts verifyContent(String file, FileDevice dev, long blobSize, Map<String, Object> info,
                                     List<Finding> findings, List<AutoCloseable> open, ExecutorService pool,
                                     Tracker tracker) throws IOException {
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
                content = SliceDevice.of(dev, m.payloadOffset(), m.payloadSize(),
                        Blob.tarDescription(file, m.payloadOffset()), false);
                base = m.payloadOffset();
            }
        } catch (FormatException e) {
            findings.add(fromFormat("tar.header", file, "", 0, e));
            return null;
        }
        ZFileDevice zfile = null;
        if (ZFileDevice.isZFile(content)) {
            zfile = verifyZFile(file, content, base, info, findings, pool, tracker, false);
            if (zfile == null) {
                return null;
            }
            open.add(zfile);
        } else if (!LsmtLayer.isLsmt(content)) {
            FormatException damage = BlobProbe.damage(content);
            if (damage != null) {
                String area = damage.structure().substring(0, damage.structure().indexOf(' '));
                findings.add(fromFormat(area + ".header", file, "", base, damage));
                // a damaged ZFile header: the blocks may still be checkable through the trailer
                zfile = area.equals("zfile") && content.size() >= 1024 // room for a header and a trailer
                        ? verifyZFile(file, content, base, info, findings, pool, tracker, true) : null;
                if (zfile == null) {
                    return null;
                }
                open.add(zfile);
                return verifyLsmt(file, zfile, 0, true, base, info, findings, open);
            }
            // one answer for a file that is no OverlayBD blob, whatever its size (as Blob.open gives)
            FormatException not = Blob.notOverlayBd(file, content == dev ? -1 : base);
            findings.add(error("blob.not-overlaybd", file, "blob", not.offset(), detail(not)));
            return null;
        }
        return verifyLsmt(file, zfile != null ? zfile : content, zfile != null ? 0 : base, zfile != null, base,
                info, findings, open);
    }

    /** Verifies the LSMT layer on {@code content} (raw, or the decompressed content of a ZFile). */
    private LayerFacts verifyLsmt(String file, RandomAccessBlockDevice content, long lsmtBase, boolean compressed,
                                  long fileBase, Map<String, Object> info, List<Finding> findings,
                                  List<AutoCloseable> open) throws IOException {
        String where = compressed ? DECOMPRESSED : "";
        LsmtLayer layer;
        boolean isLsmt;
        try {
            isLsmt = LsmtLayer.isLsmt(content);
        } catch (FormatException e) {
            // block 0 of the ZFile is corrupt (already reported): what it holds cannot be told
            info.put("kind", "zfile");
            return null;
        }
        if (!isLsmt) {
            info.put("kind", compressed ? "zfile" : "raw");
            return new LayerFacts(file, null, -1, null, null, -1, null);
        }
        info.put("kind", compressed ? "zfile-lsmt" : "lsmt");
        try {
            layer = LsmtLayer.open(content, false);
        } catch (FormatException e) {
            if (compressed && e.structure().startsWith("zfile")) {
                // the ZFile block holding the LSMT header, index or trailer is corrupt (already reported)
                findings.add(error("lsmt.unreadable", file, e.structure(), e.offset() >= 0 ? fileBase + e.offset()
                        : -1, "the LSMT layer inside cannot be read: " + detail(e)));
            } else if (BlobProbe.writableHalf(content) != null) {
                findings.add(error("lsmt.writable", file, "lsmt header" + where, lsmtBase, "the "
                        + BlobProbe.writableHalf(content) + " file of a writable layer, not a sealed layer: verify a "
                        + "writable layer through a config.json naming it as the upper"));
            } else {
                findings.add(fromFormat("lsmt.invalid", file, where, lsmtBase, e));
            }
            return null;
        }
        open.add(layer);
        LsmtHeader h = layer.header();
        LsmtHeader t = layer.trailer();
        long trailerAt = lsmtBase + content.size() - LSMT_HEADER_SIZE;
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
            findings.add(new Finding(Finding.Severity.NOTE, "lsmt.header.flags", file, "lsmt header" + where,
                    lsmtBase, String.format("unusual header flags 0x%x (committed layers have 0x7)", h.flags())));
        }
        if (t.flags() != 0x6 && t.flags() != 0x16) {
            findings.add(new Finding(Finding.Severity.NOTE, "lsmt.trailer.flags", file, "lsmt trailer" + where,
                    trailerAt + 28, String.format("unusual trailer flags 0x%x (sealed layers have 0x6); readers "
                            + "ignore the bits beyond 0-2", t.flags())));
        }
        if (h.virtualSize() != t.virtualSize() || !Objects.equals(h.uuid(), t.uuid())
                || !Objects.equals(h.parentUuid(), t.parentUuid())) {
            findings.add(new Finding(Finding.Severity.WARNING, "lsmt.header.mismatch", file, "lsmt header" + where,
                    lsmtBase, "header and trailer disagree (virtual size " + h.virtualSize() + " vs "
                    + t.virtualSize() + ", uuid " + h.uuidText() + " vs " + t.uuidText() + ", parent "
                    + h.parentUuidText() + " vs " + t.parentUuidText() + "); readers use the trailer"));
        }
        long vsizeSectors = layer.virtualSize() / 512;
        if (!idx.isEmpty() && idx.end(idx.size() - 1) > vsizeSectors) {
            findings.add(new Finding(Finding.Severity.WARNING, "lsmt.index.beyond-size", file, "lsmt index" + where,
                    lsmtBase + t.indexOffset(), "mappings reach sector " + idx.end(idx.size() - 1)
                    + ", beyond the virtual size of " + vsizeSectors + " sectors; those bytes are never read"));
        }
        return new LayerFacts(file, layer, layer.virtualSize(), layer.uuid(), layer.parentUuid(),
                trailerAt + LSMT_OFF_PARENT_UUID, "lsmt trailer" + where);
    }

    /**
     * Verifies a ZFile: header, trailer, jump table and every block. When the header is unusable (or
     * {@code headerDamaged}, already reported), the rest is still checked through the trailer if it is valid.
     *
     * @return the opened device, or null when neither header nor trailer allows reading the blocks
     */
    private ZFileDevice verifyZFile(String file, RandomAccessBlockDevice content, long base, Map<String, Object> info,
                                    List<Finding> findings, ExecutorService pool, Tracker tracker,
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
            findings.add(error("zfile.header.flags", file, "zfile header", base + ZFILE_OFF_FLAGS, "flag bit 4 "
                    + "(digest) is clear, yet the stored digest matches the block with it set: the flags were "
                    + "altered, and the digest and index CRC are no longer checked"));
        }
        long payload = content.size();
        if (payload >= 1024) {
            content.readFully(payload - 512, block, 0, 512);
            if (digestFlagCleared(block)) {
                findings.add(error("zfile.trailer.flags", file, "zfile trailer", base + payload - 512
                        + ZFILE_OFF_FLAGS, "flag bit 4 (digest) is clear, yet the stored digest matches the block "
                        + "with it set: the flags were altered, and the digest and index CRC are no longer checked"));
            }
        }
        ZFileDevice z = null;
        if (!headerDamaged) {
            try {
                z = ZFileDevice.open(content, false);
            } catch (FormatException e) {
                findings.add(fromFormat("zfile.invalid", file, "", base, e));
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
                        + "trailer either: " + detail(e)));
                return null;
            }
            findings.add(new Finding(Finding.Severity.NOTE, "zfile.header.bypassed", file, "zfile header", base,
                    "the header could not be used (see the error at the header), but the trailer is valid: the "
                            + "jump table and every block were checked through it"));
        }
        ZFileHeader eff = z.effectiveHeader();
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
        List<Finding> blockFindings = checkBlocks(file, z, base, pool, tracker);
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

    private List<Finding> checkBlocks(String file, ZFileDevice z, long base, ExecutorService pool, Tracker tracker)
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
            out.addAll(join(f));
        }
        return out;
    }

    private void checkRange(String file, ZFileDevice z, long base, int from, int to, List<Finding> out,
                            Tracker tracker) throws IOException {
        long[] pending = {0};
        z.checkBlocks(from, to, (i, failure) -> {
            if (failure instanceof ChecksumMismatchException e) {
                out.add(error("zfile.block.checksum", file, "zfile block " + i, base + z.blockOffset(i),
                        detail(e)));
            } else if (failure != null) {
                out.add(error("zfile.block.corrupt", file, "zfile block " + i, base + z.blockOffset(i),
                        detail(failure)));
            }
            pending[0] += z.storedBlockLength(i);
            if (((i - from) & 255) == 255) {
                tracker.add(pending[0]);
                pending[0] = 0;
            }
        });
        tracker.add(pending[0]);
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
            facts.add(new LayerFacts(upper.data().toString(), null, w.virtualSize(), w.uuid(), w.parentUuid(),
                    LSMT_OFF_PARENT_UUID, "lsmt data header"));
        } catch (FormatException e) {
            String f = e.resource() != null && e.resource().equals(upper.index().toString())
                    ? upper.index().toString() : upper.data().toString();
            findings.add(fromFormat("upper.invalid", f, "", 0, e));
            facts.add(null);
        } catch (IOException e) {
            findings.add(error("upper.unreadable", upper.data().toString(), upper.label(), -1, Image.reason(e)));
            facts.add(null);
        }
    }

    private void crossLayer(List<LayerFacts> facts, List<Finding> findings, Map<String, Object> image) {
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
        chain(facts, findings, image);
    }

    /** The parent-uuid chain, as {@link #chain} says. */
    private void chain(List<LayerFacts> facts, List<Finding> findings, Map<String, Object> image) {
        if (chain == Chain.OFF) {
            return;
        }
        boolean complete = true;
        int noUuid = -1;
        for (int i = 0; i < facts.size(); i++) {
            LayerFacts f = facts.get(i);
            if (f == null || f.virtualSize() < 0) {
                complete = false;
            } else if (f.uuid() == null && noUuid < 0) {
                noUuid = i;
            }
        }
        if (!complete) {
            return; // unreadable layers or non-layers are reported already; their links cannot be told
        }
        if (chain == Chain.AUTO) {
            if (facts.size() == 1 && facts.get(0).parent() == null) {
                return; // a base layer alone: nothing to link
            }
            if (facts.size() < 2 || noUuid >= 0) {
                findings.add(new Finding(Finding.Severity.NOTE, "image.chain.unchecked", null, null, -1,
                        "parent-uuid chain not checked: " + (facts.size() < 2 ? "a single layer (--check-chain "
                                + "requires it to be a base layer)" : "layer " + noUuid + " (" + facts.get(noUuid)
                                .file() + ") has no uuid")));
                return;
            }
            findings.add(new Finding(Finding.Severity.NOTE, "image.chain.checked", null, null, -1,
                    "parent-uuid chain checked: every layer has a uuid (--no-check-chain skips it)"));
        }
        image.put("chainChecked", true);
        Map<UUID, Integer> byUuid = new java.util.HashMap<>();
        for (int i = 0; i < facts.size(); i++) {
            LayerFacts f = facts.get(i);
            if (f.uuid() != null) {
                Integer first = byUuid.putIfAbsent(f.uuid(), i);
                if (first != null) {
                    findings.add(error("image.chain.duplicate", f.file(), null, -1, "layer " + i + " has the uuid "
                            + text(f.uuid()) + " of layer " + first + " (" + facts.get(first).file() + "): the same"
                            + " layer given twice?"));
                }
            }
        }
        if (chain == Chain.ON && !facts.isEmpty() && facts.get(0).parent() != null) {
            LayerFacts f = facts.get(0);
            Integer above = byUuid.get(f.parent());
            findings.add(error("image.chain.missing-parent", f.file(), f.parentWhere(), f.parentAt(),
                    "the bottom layer names parent " + text(f.parent()) + (above != null ? ", which is layer "
                            + above + " above it: the layers are out of order (give them lowest first)"
                            : ", which is not in the image: give every layer from the base up")));
        }
        for (int i = 1; i < facts.size(); i++) {
            LayerFacts below = facts.get(i - 1);
            LayerFacts f = facts.get(i);
            if (f.parent() != null && f.parent().equals(below.uuid())) {
                continue;
            }
            Integer named = f.parent() == null ? null : byUuid.get(f.parent());
            String hint = named != null && named > i ? ": the layers are out of order (give them lowest first)"
                    : named != null ? ": layer " + named + " is its parent, so the layers between do not belong"
                    : "";
            if (f.parent() == null) {
                findings.add(error("image.chain.no-parent", f.file(), f.parentWhere(), f.parentAt(), "layer " + i
                        + " names no parent, but it is stacked on layer " + (i - 1) + " (" + below.file()
                        + ", uuid " + text(below.uuid()) + ")"));
            } else {
                findings.add(error("image.chain", f.file(), f.parentWhere(), f.parentAt(), "layer " + i
                        + " names parent " + text(f.parent()) + " but the layer below (" + below.file()
                        + ") has uuid " + text(below.uuid()) + hint));
            }
        }
    }

    private static String text(UUID u) {
        return u == null ? "null" : LsmtHeader.format(u);
    }

    private static Finding error(String code, String file, String structure, long offset, String message) {
        return new Finding(Finding.Severity.ERROR, code, file, structure, offset, message);
    }

    /**
     * A format exception becomes an error at a file offset: its own offset is relative to the device it names, which
     * starts at {@code base} in the file ({@code where} = {@link #DECOMPRESSED} when that device is decompressed).
     */
    private static Finding fromFormat(String code, String file, String where, long base, FormatException e) {
        long off = e.offset() >= 0 ? base + e.offset() : -1;
        String c = code;
        if (e instanceof ChecksumMismatchException) {
            c = code.substring(0, code.indexOf('.')) + ".checksum";
        }
        return new Finding(Finding.Severity.ERROR, c, file, e.structure() + where, off, detail(e));
    }

    /**
     * @return the exception's message without the parts a finding already carries: the leading structure name and
     *         the trailing "at offset N in resource" (whose offset may be relative to a tar payload)
     */
    static String detail(FormatException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        String prefix = e.structure() + ": ";
        if (m.startsWith(prefix)) {
            m = m.substring(prefix.length());
        }
        String suffix = " in " + e.resource();
        if (m.endsWith(suffix)) {
            m = m.substring(0, m.length() - suffix.length());
        }
        String at = " at offset " + e.offset();
        if (e.offset() >= 0 && m.endsWith(at)) {
            m = m.substring(0, m.length() - at.length());
        }
        return m;
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
