package io.overlaybd.image;

import io.overlaybd.lsmt.LsmtHeader;
import io.overlaybd.lsmt.LsmtLayer;
import io.overlaybd.lsmt.SegmentIndex;
import io.overlaybd.lsmt.WritableLayer;
import io.overlaybd.zfile.ZFileDevice;
import io.overlaybd.zfile.ZFileHeader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Describes an opened {@link Image} as nested maps (JSON-ready, key order stable): the image's size and merged
 * index, and for each blob its kind, tar member, ZFile header/trailer fields and block statistics, LSMT
 * header/trailer fields and index counts. Used by {@code overlaybd info}; stateless and thread-safe.
 */
public final class ImageInfo {
    /** The version of {@code image-info.schema.json} that {@link #toJson(Image)} follows. */
    public static final int SCHEMA_VERSION = 1;

    private ImageInfo() {
    }

    /**
     * @return {@link #describe(Image)} with {@code schemaVersion} first: the JSON object of
     *         {@code io/overlaybd/image/image-info.schema.json} (serialise it with nulls kept)
     */
    public static Map<String, Object> toJson(Image image) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", SCHEMA_VERSION);
        m.putAll(describe(image));
        return m;
    }

    /** @return the description of {@code image}. */
    public static Map<String, Object> describe(Image image) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("virtualSize", image.device().size());
        image.config().ifPresent(c -> m.put("config", c.source().toString()));
        image.stack().ifPresent(s -> {
            m.put("mergedSegments", s.mergedIndex().size());
            if (s.upper() != null) {
                m.put("effectiveSegments", s.effectiveIndex().size()); // with the writable upper on top
            }
        });
        List<Object> blobs = new ArrayList<>();
        for (Blob b : image.blobs()) {
            blobs.add(describe(b));
        }
        m.put("layers", blobs);
        image.upper().ifPresent(u -> m.put("upper", describe(u)));
        return m;
    }

    /** @return the description of one blob. */
    public static Map<String, Object> describe(Blob b) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", b.name());
        m.put("kind", b.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        m.put("blobSize", b.file().size());
        b.tarMember().ifPresent(t -> {
            Map<String, Object> tar = new LinkedHashMap<>();
            tar.put("member", t.name());
            tar.put("payloadOffset", t.payloadOffset());
            tar.put("payloadSize", t.payloadSize());
            m.put("tar", tar);
        });
        b.zfile().ifPresent(z -> m.put("zfile", describe(z)));
        b.layer().ifPresent(l -> m.put("lsmt", describe(l)));
        if (!b.isLayer()) {
            m.put("contentSize", b.content().size());
        }
        return m;
    }

    static Map<String, Object> describe(ZFileDevice z) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("algorithm", z.algorithm().name().toLowerCase(java.util.Locale.ROOT));
        m.put("blockSize", z.blockSize());
        m.put("blocks", z.blockCount());
        m.put("blockCrc", z.hasBlockCrc());
        m.put("originalSize", z.size());
        m.put("compressedSize", z.source().size());
        long min = Long.MAX_VALUE;
        long max = 0;
        long sum = 0;
        for (int i = 0; i < z.blockCount(); i++) {
            int len = z.storedBlockLength(i);
            min = Math.min(min, len);
            max = Math.max(max, len);
            sum += len;
        }
        Map<String, Object> stats = new LinkedHashMap<>();
        stats.put("storedBytes", sum);
        stats.put("minStored", z.blockCount() == 0 ? 0 : min);
        stats.put("maxStored", max);
        stats.put("meanStored", z.blockCount() == 0 ? 0 : Math.round(sum / (double) z.blockCount()));
        stats.put("ratio", sum == 0 ? 0 : Math.round(z.size() * 1000.0 / sum) / 1000.0);
        m.put("blockStats", stats);
        if (z.header() != null) {
            m.put("header", fields(z.header()));
        }
        if (z.trailer() != null) {
            m.put("trailer", fields(z.trailer()));
        }
        return m;
    }

    static Map<String, Object> fields(ZFileHeader h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("flags", String.format("0x%x", h.flags()));
        m.put("digest", String.format("0x%08x", h.digest()));
        m.put("digestValid", h.hasDigest() ? h.digestMatches() : null);
        m.put("indexOffset", h.indexOffset());
        m.put("indexSize", h.indexSize());
        m.put("originalFileSize", h.originalFileSize());
        m.put("indexCrc", String.format("0x%08x", h.indexCrc()));
        m.put("blockSize", h.blockSize());
        m.put("algo", h.algo());
        m.put("verify", h.verify());
        m.put("nonZeroReservedBytes", h.nonZeroTailBytes());
        return m;
    }

    static Map<String, Object> describe(LsmtLayer l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("virtualSize", l.virtualSize());
        m.put("uuid", l.uuid() != null ? LsmtHeader.format(l.uuid()) : null);
        m.put("parentUuid", l.parentUuid() != null ? LsmtHeader.format(l.parentUuid()) : null);
        m.put("userTag", l.trailer().userTag());
        m.putAll(index(l.index()));
        m.put("header", fields(l.header()));
        m.put("trailer", fields(l.trailer()));
        return m;
    }

    static Map<String, Object> describe(WritableLayer w) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", w.dataPath().toString());
        m.put("index", w.indexPath().toString());
        m.put("virtualSize", w.virtualSize());
        m.put("uuid", w.uuid() != null ? LsmtHeader.format(w.uuid()) : null);
        m.put("parentUuid", w.parentUuid() != null ? LsmtHeader.format(w.parentUuid()) : null);
        m.putAll(index(w.index()));
        return m;
    }

    private static Map<String, Object> index(SegmentIndex idx) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("segments", idx.size());
        m.put("dataSegments", idx.size() - idx.zeroedCount());
        m.put("zeroedSegments", idx.zeroedCount());
        m.put("dataBytes", idx.dataSectors() * 512);
        m.put("mappedBytes", idx.mappedSectors() * 512);
        return m;
    }

    static Map<String, Object> fields(LsmtHeader h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("flags", String.format("0x%x", h.flags()));
        m.put("indexOffset", h.indexOffset());
        m.put("indexSize", h.indexSize());
        m.put("virtualSize", h.virtualSize());
        m.put("uuid", h.uuidText());
        m.put("parentUuid", h.parentUuidText());
        m.put("version", h.version() + "." + h.subVersion());
        m.put("userTag", h.userTag());
        return m;
    }
}
