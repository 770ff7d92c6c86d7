package io.overlaybd.image;

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
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

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
    private static final int LSMT_HEADER_SIZE = 4096;
    private static final int LSMT_OFF_PARENT_UUID = 93;

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

    private final ZFileCheck zfileCheck = new ZFileCheck();

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
        VerifyProgress tracker = new VerifyProgress(progress, total);
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
            new LayerChecks(chain).check(facts, findings, image);
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
                                  List<AutoCloseable> open, ExecutorService pool, VerifyProgress tracker)
            throws IOException {
        String file = s.path().toString();
        FileDevice dev;
        try {
            dev = FileDevice.open(s.path());
        } catch (NoSuchFileException e) {
            findings.add(Finding.error("blob.missing", file, null, -1, "no such file"));
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
            contentFindings.add(Finding.error("blob.truncated", file, null, -1, "unexpected end of file: " + e.getMessage()));
            facts = null;
        }
        if (pending != null) {
            sha = join(pending);
            info.put("sha256", sha);
        }
        if (s.digest() != null && !s.digest().equalsIgnoreCase("sha256:" + sha)) {
            findings.add(Finding.error("blob.digest", file, null, -1, "sha256 is " + sha + " but the config says "
                    + s.digest()));
        }
        if (s.size() >= 0 && s.size() != blobSize) {
            findings.add(Finding.error("blob.size", file, null, -1, "size is " + blobSize + " bytes but the config says "
                    + s.size()));
        }
        findings.addAll(contentFindings);
        return facts;
    }

    static <T> T join(Future<T> f) throws IOException {
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
                                     VerifyProgress tracker) throws IOException {
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
                    findings.add(Finding.error("tar.truncated", file, "tar end-of-archive", m.payloadOffset()
                            + m.payloadSize(), "the archive ends at " + blobSize + " bytes, before its padding and"
                            + " two zero blocks (" + minimal + " bytes expected)"));
                }
                content = SliceDevice.of(dev, m.payloadOffset(), m.payloadSize(),
                        Blob.tarDescription(file, m.payloadOffset()), false);
                base = m.payloadOffset();
            }
        } catch (FormatException e) {
            findings.add(Finding.fromFormat("tar.header", file, "", 0, e));
            return null;
        }
        ZFileDevice zfile = null;
        if (ZFileDevice.isZFile(content)) {
            zfile = zfileCheck.verify(file, content, base, info, findings, pool, tracker, false);
            if (zfile == null) {
                return null;
            }
            open.add(zfile);
        } else if (!LsmtLayer.isLsmt(content)) {
            FormatException damage = BlobProbe.damage(content);
            if (damage != null) {
                String area = damage.structure().substring(0, damage.structure().indexOf(' '));
                findings.add(Finding.fromFormat(area + ".header", file, "", base, damage));
                // a damaged ZFile header: the blocks may still be checkable through the trailer
                zfile = area.equals("zfile") && content.size() >= 1024 // room for a header and a trailer
                        ? zfileCheck.verify(file, content, base, info, findings, pool, tracker, true) : null;
                if (zfile == null) {
                    return null;
                }
                open.add(zfile);
                return verifyLsmt(file, zfile, 0, true, base, info, findings, open);
            }
            // one answer for a file that is no OverlayBD blob, whatever its size (as Blob.open gives)
            FormatException not = Blob.notOverlayBd(file, content == dev ? -1 : base);
            findings.add(Finding.error("blob.not-overlaybd", file, "blob", not.offset(), Finding.detail(not)));
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
                findings.add(Finding.error("lsmt.unreadable", file, e.structure(), e.offset() >= 0 ? fileBase + e.offset()
                        : -1, "the LSMT layer inside cannot be read: " + Finding.detail(e)));
            } else if (BlobProbe.writableHalf(content) != null) {
                findings.add(Finding.error("lsmt.writable", file, "lsmt header" + where, lsmtBase, "the "
                        + BlobProbe.writableHalf(content) + " file of a writable layer, not a sealed layer: verify a "
                        + "writable layer through a config.json naming it as the upper"));
            } else {
                findings.add(Finding.fromFormat("lsmt.invalid", file, where, lsmtBase, e));
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
            findings.add(Finding.fromFormat("upper.invalid", f, "", 0, e));
            facts.add(null);
        } catch (IOException e) {
            findings.add(Finding.error("upper.unreadable", upper.data().toString(), upper.label(), -1, Image.reason(e)));
            facts.add(null);
        }
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
