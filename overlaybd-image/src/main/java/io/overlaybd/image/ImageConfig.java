package io.overlaybd.image;

import com.fasterxml.jackson.jr.ob.JSON;
import io.overlaybd.core.AtomicFileOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An overlaybd image config ({@code config.json}, FORMAT.md §6), parsed and type-checked.
 *
 * <p>{@code lowers} are listed bottom first; each names a {@code file}, or a {@code dir} holding
 * {@code overlaybd.commit}, {@code .commit} or {@code overlaybd.sealed}; optional {@code digest} ({@code sha256:…})
 * and {@code size} describe the blob. {@code upper} ({@code index} + {@code data}) makes the top writable.
 * Relative paths resolve against the folder of the config file. Fields the reference defines but this SDK does not
 * act on (remote download, tracing, acceleration) are accepted and kept; a field nobody defines is an error, since it
 * is most likely a typo. {@code resultFile} is only written on request ({@link #writeResult(String)}, called by
 * {@link Image#openConfig(Path, boolean)} and the CLI's {@code --write-result}). Immutable and thread-safe.
 */
public final class ImageConfig {
    private static final Set<String> TOP_FIELDS = Set.of("repoBlobUrl", "lowers", "upper", "resultFile",
            "accelerationLayer", "recordTracePath", "download");
    private static final Set<String> LOWER_FIELDS = Set.of("file", "dir", "digest", "size", "targetDigest",
            "targetFile", "gzipIndex");
    private static final Set<String> UPPER_FIELDS = Set.of("index", "data", "target", "gzipIndex", "vsize");
    private static final Set<String> DOWNLOAD_FIELDS = Set.of("enable", "delay", "delayExtra", "maxMBps", "tryCnt",
            "blockSize");
    private static final List<String> DIR_CANDIDATES = List.of("overlaybd.commit", ".commit", "overlaybd.sealed");

    private final Path source;
    private final List<Lower> lowers;
    private final Upper upper;
    private final Path resultFile;
    private final String repoBlobUrl;
    private final boolean accelerationLayer;

    /**
     * One lower layer entry.
     *
     * @param index     position in {@code lowers} (0 = bottom)
     * @param file      the {@code file} path, resolved, or null
     * @param dir       the {@code dir} path, resolved, or null
     * @param digest    {@code sha256:<hex>} or null
     * @param size      blob size in bytes, or -1
     * @param targetFile warp-layer target ({@code targetFile}), or null
     */
    public record Lower(int index, Path file, Path dir, String digest, long size, Path targetFile) {
        /** @return how the entry is named in messages, e.g. {@code lowers[1] (layer2.zfile)}. */
        public String label() {
            Path p = file != null ? file : dir;
            return "lowers[" + index + "]" + (p != null ? " (" + p.getFileName() + ")" : "");
        }
    }

    /** The writable upper layer: its index log and data file, resolved. */
    public record Upper(Path index, Path data) {
        /** @return how the entry is named in messages, e.g. {@code upper (layer.data, layer.index)}. */
        public String label() {
            return "upper (" + data.getFileName() + ", " + index.getFileName() + ")";
        }
    }

    private ImageConfig(Path source, List<Lower> lowers, Upper upper, Path resultFile, String repoBlobUrl,
                        boolean accelerationLayer) {
        this.source = source;
        this.lowers = lowers;
        this.upper = upper;
        this.resultFile = resultFile;
        this.repoBlobUrl = repoBlobUrl;
        this.accelerationLayer = accelerationLayer;
    }

    /**
     * Reads and checks a config file.
     *
     * @throws ConfigException naming the file and the offending field when the JSON is malformed, a field has the
     *                         wrong type, a required field is missing, or a field is unknown
     * @throws NoSuchFileException if the config file does not exist
     */
    public static ImageConfig read(Path configFile) throws IOException {
        long size = Files.size(configFile);
        if (size > MAX_CONFIG_BYTES) {
            throw new ConfigException(configFile, "$", "file of " + size + " bytes exceeds the limit of "
                    + MAX_CONFIG_BYTES + " bytes for a config");
        }
        String text = decodeUtf8(Files.readAllBytes(configFile), configFile);
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1); // a byte order mark some editors write
        }
        return parse(text, configFile);
    }

    /** Largest config.json read (1 MiB); real ones are a few hundred bytes per layer, for at most 256 layers. */
    public static final int MAX_CONFIG_BYTES = 1 << 20;

    /** Decodes UTF-8 strictly (RFC 8259 requires it), naming the byte offset of the first invalid sequence. */
    static String decodeUtf8(byte[] bytes, Path configFile) throws ConfigException {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult r = decoder.decode(in, out, true);
        if (r.isUnderflow()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            throw new ConfigException(configFile, "$", "invalid UTF-8 at byte offset " + in.position() + " ("
                    + r.length() + " byte" + (r.length() == 1 ? "" : "s") + " starting 0x"
                    + String.format("%02x", bytes[in.position()] & 0xFF) + ")");
        }
        return out.flip().toString();
    }

    /** Parses config text; relative paths resolve against {@code configFile}'s folder. */
    public static ImageConfig parse(String json, Path configFile) throws ConfigException {
        Map<String, Object> root;
        try {
            Object any = JSON.std.anyFrom(json);
            if (!(any instanceof Map)) {
                throw new ConfigException(configFile, "$", "the config must be a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) any;
            root = m;
        } catch (IOException e) {
            throw new ConfigException(configFile, "$", "malformed JSON: " + firstLine(e.getMessage()));
        }
        Path base = configFile.toAbsolutePath().getParent();
        unknown(configFile, "$", root, TOP_FIELDS);
        Object lowersValue = root.get("lowers");
        List<Lower> lowers = new ArrayList<>();
        if (lowersValue != null) {
            if (!(lowersValue instanceof List<?> list)) {
                throw new ConfigException(configFile, "lowers", "must be an array, got " + typeName(lowersValue));
            }
            for (int i = 0; i < list.size(); i++) {
                String at = "lowers[" + i + "]";
                Map<String, Object> l = object(configFile, at, list.get(i));
                unknown(configFile, at, l, LOWER_FIELDS);
                Path file = path(configFile, base, at + ".file", l.get("file"));
                Path dir = path(configFile, base, at + ".dir", l.get("dir"));
                String digest = string(configFile, at + ".digest", l.get("digest"));
                if (digest != null && !digest.matches("sha256:[0-9a-fA-F]{64}")) {
                    throw new ConfigException(configFile, at + ".digest",
                            "must be sha256:<64 hex digits>, got '" + digest + "'");
                }
                long size = number(configFile, at + ".size", l.get("size"));
                Path target = path(configFile, base, at + ".targetFile", l.get("targetFile"));
                if (file == null && dir == null && digest == null) {
                    throw new ConfigException(configFile, at, "needs 'file' or 'dir' (or a 'digest' to fetch)");
                }
                lowers.add(new Lower(i, file, dir, digest, size, target));
            }
        }
        Upper upper = null;
        if (root.get("upper") != null) {
            Map<String, Object> u = object(configFile, "upper", root.get("upper"));
            unknown(configFile, "upper", u, UPPER_FIELDS);
            Path index = path(configFile, base, "upper.index", u.get("index"));
            Path data = path(configFile, base, "upper.data", u.get("data"));
            number(configFile, "upper.vsize", u.get("vsize"));
            string(configFile, "upper.target", u.get("target"));
            string(configFile, "upper.gzipIndex", u.get("gzipIndex"));
            if ((index == null) != (data == null)) {
                throw new ConfigException(configFile, "upper", "needs both 'index' and 'data'");
            }
            if (index != null) {
                upper = new Upper(index, data);
            }
        }
        if (lowers.isEmpty() && upper == null) {
            throw new ConfigException(configFile, "lowers", "the image has no layers (no lowers and no upper)");
        }
        Path result = path(configFile, base, "resultFile", root.get("resultFile"));
        String repo = string(configFile, "repoBlobUrl", root.get("repoBlobUrl"));
        string(configFile, "recordTracePath", root.get("recordTracePath"));
        Object accel = root.get("accelerationLayer");
        if (accel != null && !(accel instanceof Boolean)) {
            throw new ConfigException(configFile, "accelerationLayer", "must be true or false, got "
                    + typeName(accel));
        }
        if (root.get("download") != null) {
            Map<String, Object> d = object(configFile, "download", root.get("download"));
            unknown(configFile, "download", d, DOWNLOAD_FIELDS);
        }
        return new ImageConfig(configFile, List.copyOf(lowers), upper, result, repo, Boolean.TRUE.equals(accel));
    }

    /** @return the config file this was read from. */
    public Path source() {
        return source;
    }

    /** @return the lower layers, bottom first. */
    public List<Lower> lowers() {
        return lowers;
    }

    /** @return the writable upper layer, if any. */
    public Optional<Upper> upper() {
        return Optional.ofNullable(upper);
    }

    /** @return where to write {@code success} or {@code failed:<message>}, if the config names a result file. */
    public Optional<Path> resultFile() {
        return Optional.ofNullable(resultFile);
    }

    /** @return the registry blob URL for remote layers, or null. */
    public String repoBlobUrl() {
        return repoBlobUrl;
    }

    /** @return whether the last lower is an acceleration (trace) layer, dropped from the stack by the reference. */
    public boolean accelerationLayer() {
        return accelerationLayer;
    }

    /**
     * Resolves the blob file of a lower entry as the reference does: {@code file}, else the first existing of
     * {@code dir/overlaybd.commit}, {@code dir/.commit}, {@code dir/overlaybd.sealed}.
     *
     * @throws ConfigException naming the entry when no local file exists (remote fetch is not supported here)
     */
    public Path blobFile(Lower lower) throws ConfigException {
        if (lower.targetFile() != null) {
            throw new ConfigException(source, lower.label(), "warp (turboOCI) layers with 'targetFile' are not "
                    + "supported");
        }
        if (lower.file() != null) {
            if (!Files.isRegularFile(lower.file())) {
                throw new ConfigException(source, lower.label() + ".file", "no such file: " + lower.file());
            }
            return lower.file();
        }
        if (lower.dir() != null) {
            for (String name : DIR_CANDIDATES) {
                Path p = lower.dir().resolve(name);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
            throw new ConfigException(source, lower.label() + ".dir", "none of " + DIR_CANDIDATES + " exists in "
                    + lower.dir());
        }
        throw new ConfigException(source, lower.label(), "has no local file; fetching " + lower.digest()
                + " from the registry is not supported by this SDK");
    }

    /**
     * Writes the reference's result text ({@code success} or {@code failed:<message>}, the message folded onto one
     * line) to {@link #resultFile()}, if the config names one. The file is replaced atomically (temporary file, then
     * rename), so a reader never sees a partial result. Who calls this: {@link Image#openConfig(Path, boolean)} when
     * asked to, and the CLI with {@code --write-result}; never implicitly.
     */
    public void writeResult(String failureOrNull) throws IOException {
        if (resultFile != null) {
            String text = failureOrNull == null ? "success"
                    : "failed:" + failureOrNull.replace("\r", "").replace('\n', ' ');
            try (AtomicFileOutput out = AtomicFileOutput.create(resultFile)) {
                out.stream().write(text.getBytes(StandardCharsets.UTF_8));
                out.commit();
            }
        }
    }

    private static void unknown(Path file, String at, Map<String, Object> m, Set<String> known)
            throws ConfigException {
        for (String k : m.keySet()) {
            if (!known.contains(k)) {
                throw new ConfigException(file, at.equals("$") ? k : at + "." + k, "unknown field (known: "
                        + new java.util.TreeSet<>(known) + ")");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Path file, String at, Object v) throws ConfigException {
        if (!(v instanceof Map)) {
            throw new ConfigException(file, at, "must be an object, got " + typeName(v));
        }
        return (Map<String, Object>) v;
    }

    private static String string(Path file, String at, Object v) throws ConfigException {
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw new ConfigException(file, at, "must be a string, got " + typeName(v));
        }
        return s;
    }

    private static Path path(Path file, Path base, String at, Object v) throws ConfigException {
        String s = string(file, at, v);
        if (s == null || s.isEmpty()) {
            return null;
        }
        try {
            return base.resolve(s).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new ConfigException(file, at, "not a valid path: '" + s + "'");
        }
    }

    private static long number(Path file, String at, Object v) throws ConfigException {
        if (v == null) {
            return -1;
        }
        if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 0) {
            throw new ConfigException(file, at, "must be a non-negative integer, got " + typeName(v) + " " + v);
        }
        return ((Number) v).longValue();
    }

    private static String typeName(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Map) {
            return "an object";
        }
        if (v instanceof List) {
            return "an array";
        }
        if (v instanceof String) {
            return "a string";
        }
        if (v instanceof Boolean) {
            return "a boolean";
        }
        return v instanceof Number ? "a number" : v.getClass().getSimpleName();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
