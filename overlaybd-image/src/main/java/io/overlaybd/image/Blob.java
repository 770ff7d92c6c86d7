package io.overlaybd.image;

import io.overlaybd.core.FileAccess;
import io.overlaybd.core.FormatException;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.core.SliceDevice;
import io.overlaybd.core.TarFormat;
import io.overlaybd.lsmt.LsmtLayer;
import io.overlaybd.zfile.ZFileDevice;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One blob file opened by looking at its bytes, never its name: an optional tar wrapper (ustar, pax or GNU), then an
 * optional ZFile, then either an LSMT layer or plain data. The unwrapped content is {@link #content()}; when it is an
 * LSMT layer, {@link #layer()} is that layer. Reads are thread-safe; closing the blob closes everything it opened.
 */
public final class Blob implements AutoCloseable {
    private final Path path;
    private final String name;
    private final RandomAccessBlockDevice file;
    private final TarFormat.Member tarMember;
    private final ZFileDevice zfile;
    private final RandomAccessBlockDevice content;
    private final LsmtLayer layer;

    private Blob(Path path, RandomAccessBlockDevice file, TarFormat.Member tarMember, ZFileDevice zfile,
                 RandomAccessBlockDevice content, LsmtLayer layer) {
        this.path = path;
        this.name = path != null ? path.toString() : file.description();
        this.file = file;
        this.tarMember = tarMember;
        this.zfile = zfile;
        this.content = content;
        this.layer = layer;
    }

    /** What a blob turned out to be. */
    public enum Kind {
        /** An LSMT layer, stored raw. */
        LSMT,
        /** An LSMT layer inside a ZFile. */
        ZFILE_LSMT,
        /** A ZFile whose content is not an LSMT layer. */
        ZFILE,
        /** Plain bytes: neither ZFile nor LSMT. */
        RAW
    }

    /**
     * Opens and detects a blob.
     *
     * @throws FormatException when a detected structure is corrupt (a tar header lying about its size, a ZFile whose
     *                         trailer is broken, an LSMT with a bad index…), or when the start of the file is a
     *                         damaged or truncated tar header, ZFile header or LSMT magic (see {@link BlobProbe}).
     *                         Offsets in the message are relative to the structure's device, named in the message:
     *                         {@code tar(file, payload at N)} for a tar payload, {@code zfile(...)} for decompressed
     *                         content
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     */
    public static Blob open(Path path) throws IOException {
        return open(path, FileAccess.AUTO, Mode.DETECT);
    }

    /** Opens and detects a blob as {@link #open(Path)}, reading the file as {@code access} says. */
    public static Blob open(Path path, FileAccess access) throws IOException {
        return open(path, access, Mode.DETECT);
    }

    /**
     * Opens and detects a blob as {@link #open(Path, FileAccess)}; with {@code acceptRaw}, a file that is no OverlayBD
     * blob (no tar, ZFile or LSMT magic at its start) opens as {@link Kind#RAW} plain bytes instead of failing with
     * {@value #NOT_OVERLAYBD}. Plain files are read as raw devices only when a caller asks for it.
     */
    public static Blob open(Path path, FileAccess access, boolean acceptRaw) throws IOException {
        return open(path, access, acceptRaw ? Mode.DETECT_OR_RAW : Mode.DETECT);
    }

    /** The message of the error for a file that is no OverlayBD blob. */
    public static final String NOT_OVERLAYBD = "not an OverlayBD layer: no ZFile, LSMT or tar magic";

    /**
     * Opens a blob down to its ZFile, if it is one (optionally tar-wrapped), without looking at the decompressed
     * content: unlike {@link #open(Path)}, a corrupt first block does not prevent opening, so every block can be
     * checked ({@code overlaybd zfile check}). The kind is {@link Kind#ZFILE} even when the content is an LSMT layer.
     *
     * @throws FormatException as {@link #open(Path)}, for the tar wrapper and the ZFile header, trailer and table
     */
    public static Blob openZFile(Path path) throws IOException {
        return open(path, FileAccess.POSITIONAL, Mode.ZFILE);
    }

    /**
     * Opens a blob's ZFile (optionally tar-wrapped) from the ZFile's trailer alone, ignoring its header, as
     * {@link ZFileDevice#openFromTrailer} does: for checking the blocks of a file whose header is damaged.
     *
     * @throws FormatException for the tar wrapper and the ZFile trailer and table
     */
    public static Blob openZFileFromTrailer(Path path) throws IOException {
        return open(path, FileAccess.POSITIONAL, Mode.ZFILE_FROM_TRAILER);
    }

    /** How far {@link #open(Path, FileAccess, Mode)} goes. */
    private enum Mode { DETECT, DETECT_OR_RAW, ZFILE, ZFILE_FROM_TRAILER }

    private static Blob open(Path path, FileAccess access, Mode mode) throws IOException {
        return detect(path, access.open(path), mode, null);
    }

    /**
     * Opens and detects a blob from a device instead of a file (a remote blob, say), exactly as {@link #open(Path)}
     * detects files; the blob owns the device: closing the blob closes it. {@link #path()} is then null and
     * {@link #name()} is the device's description.
     *
     * @param device     the blob's bytes
     * @param rereadHook called with a byte range of {@code device} before a ZFile block that failed its CRC or
     *                   decompression is re-read (so a caching device can drop its copy), or null
     * @throws FormatException as {@link #open(Path)}
     */
    public static Blob open(RandomAccessBlockDevice device, ZFileDevice.RereadHook rereadHook) throws IOException {
        return detect(null, device, Mode.DETECT, rereadHook);
    }

    private static Blob detect(Path path, RandomAccessBlockDevice file, Mode mode, ZFileDevice.RereadHook hook)
            throws IOException {
        ZFileDevice zfile = null;
        try {
            RandomAccessBlockDevice dev = file;
            Optional<TarFormat.Member> member = TarFormat.firstFile(file);
            ZFileDevice.Options zoptions = ZFileDevice.Options.defaults();
            if (member.isPresent()) {
                TarFormat.Member m = member.get();
                dev = SliceDevice.of(file, m.payloadOffset(), m.payloadSize(), tarDescription(file.description(),
                        m.payloadOffset()), false);
                if (hook != null) {
                    long at = m.payloadOffset();
                    zoptions = zoptions.rereadHook((offset, length) -> hook.evict(at + offset, length));
                }
            } else if (hook != null) {
                zoptions = zoptions.rereadHook(hook);
            }
            if (mode == Mode.ZFILE_FROM_TRAILER) {
                zfile = ZFileDevice.openFromTrailer(dev, ZFileDevice.Options.defaults(), false);
                dev = zfile;
            } else if (ZFileDevice.isZFile(dev)) {
                try {
                    zfile = ZFileDevice.open(dev, zoptions, false);
                } catch (FormatException e) {
                    throw truncation(dev, e);
                }
                dev = zfile;
            }
            LsmtLayer layer = null;
            if ((mode == Mode.ZFILE || mode == Mode.ZFILE_FROM_TRAILER) && zfile != null) {
                return new Blob(path, file, member.orElse(null), zfile, dev, null);
            }
            if (LsmtLayer.isLsmt(dev)) {
                try {
                    layer = LsmtLayer.open(dev, false);
                } catch (FormatException e) {
                    String half = BlobProbe.writableHalf(dev);
                    if (half == null) {
                        throw e;
                    }
                    throw new FormatException(dev.description(), "lsmt header", 0, "the " + half + " file of a "
                            + "writable layer, not a sealed layer: read a writable layer through a config.json whose "
                            + "\"upper\" names its data and index files (see README)", e);
                }
            } else if (zfile == null) {
                FormatException damage = BlobProbe.damage(dev);
                if (damage != null) {
                    throw damage;
                }
                if (mode != Mode.DETECT_OR_RAW) {
                    throw notOverlayBd(file.description(), member.map(TarFormat.Member::payloadOffset).orElse(-1L));
                }
            }
            return new Blob(path, file, member.orElse(null), zfile, dev, layer);
        } catch (IOException | RuntimeException e) {
            try {
                if (zfile != null) {
                    zfile.close();
                }
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            try {
                file.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * @param payloadOffset where a tar member's payload starts, or -1 when the file is not tar-wrapped
     * @return the error for a file that is no OverlayBD blob
     */
    static FormatException notOverlayBd(String file, long payloadOffset) {
        return payloadOffset < 0 ? new FormatException(file, "blob", 0, NOT_OVERLAYBD)
                : new FormatException(file, "blob", payloadOffset, "not an OverlayBD layer: the tar member's payload"
                        + " has no ZFile or LSMT magic");
    }

    /**
     * @return {@code e} said as what it most likely is when the ZFile is shorter than its header says (an
     *         overwritten header naming an index beyond the end) or its trailer is missing: a truncated file
     */
    static FormatException truncation(RandomAccessBlockDevice dev, FormatException e) {
        if (e instanceof io.overlaybd.core.ChecksumMismatchException) {
            return e; // a damaged header or trailer, not a cut file
        }
        try {
            long size = dev.size();
            byte[] b = new byte[512];
            if (size < b.length) {
                return e;
            }
            dev.readFully(0, b, 0, b.length);
            io.overlaybd.zfile.ZFileHeader h = io.overlaybd.zfile.ZFileHeader.decode(b);
            if (h.magicOk() && h.isHeaderOverwrite() && h.indexOffset() >= size
                    && (!h.hasDigest() || h.digestMatches())) {
                return new FormatException(e.resource(), "zfile", size, "truncated (" + size + " bytes, expected at "
                        + "least " + (h.indexOffset() + 1) + ": the header places the index at " + h.indexOffset()
                        + ")", e);
            }
            if (e.structure().equals("zfile trailer") && e.offset() == size - b.length) {
                return new FormatException(e.resource(), e.structure(), e.offset(), "no trailer at the end of the "
                        + size + "-byte file (" + Finding.detail(e) + "): truncated, or not finished", e);
            }
        } catch (IOException | RuntimeException ignored) {
            // the original error stands
        }
        return e;
    }

    /** @return the description of a tar payload: names the file and where the payload starts in it. */
    static String tarDescription(String file, long payloadOffset) {
        return "tar(" + file + ", payload at " + payloadOffset + ")";
    }

    /** @return the file path, or null for a blob opened from a device. */
    public Path path() {
        return path;
    }

    /** @return what names the blob in messages: its file path, or the description of the device it was opened from. */
    public String name() {
        return name;
    }

    /** @return the detected kind. */
    public Kind kind() {
        if (layer != null) {
            return zfile != null ? Kind.ZFILE_LSMT : Kind.LSMT;
        }
        return zfile != null ? Kind.ZFILE : Kind.RAW;
    }

    /** @return the raw file device. */
    public RandomAccessBlockDevice file() {
        return file;
    }

    /** @return the tar member holding the payload, if the blob is tar-wrapped. */
    public Optional<TarFormat.Member> tarMember() {
        return Optional.ofNullable(tarMember);
    }

    /** @return the ZFile device, if the payload is a ZFile. */
    public Optional<ZFileDevice> zfile() {
        return Optional.ofNullable(zfile);
    }

    /** @return the unwrapped content: the LSMT blob bytes, or the plain data. */
    public RandomAccessBlockDevice content() {
        return content;
    }

    /** @return the LSMT layer, if the content is one. */
    public Optional<LsmtLayer> layer() {
        return Optional.ofNullable(layer);
    }

    /** @return true if the content is an LSMT layer. */
    public boolean isLayer() {
        return layer != null;
    }

    @Override
    public String toString() {
        return name + " (" + kind() + (tarMember != null ? ", tar" : "") + ")";
    }

    @Override
    public void close() throws IOException {
        try {
            if (layer != null) {
                layer.close();
            }
            if (zfile != null) {
                zfile.close();
            }
        } finally {
            file.close();
        }
    }
}
