package io.overlaybd.image;

import io.overlaybd.core.FileAccess;
import io.overlaybd.core.FormatException;
import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.lsmt.LayerStack;
import io.overlaybd.lsmt.LsmtLayer;
import io.overlaybd.lsmt.StackOptions;
import io.overlaybd.lsmt.WritableLayer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An opened OverlayBD image: a list of blobs (lowest first) or a {@code config.json}, composed into one read-only
 * device. A single blob that is not an LSMT layer (a plain ZFile, say) is its own device; otherwise every blob must
 * be an LSMT layer and the device is their {@link LayerStack}, with the config's writable upper on top when it names
 * one (opened read-only: an image never modifies its files). Reads are positional and thread-safe; {@link #close()}
 * closes every blob.
 *
 * <p><b>Result file.</b> A config may name a {@code resultFile} that the reference's tools fill with {@code success}
 * or {@code failed:<message>} once they have (or have not) set the image up. This class writes it only when asked:
 * {@link #openConfig(Path, boolean)} with {@code writeResult = true} (the CLI's {@code --write-result} option) writes
 * {@code success} after the image opened, or {@code failed:<message>} (the error message, on one line) when opening
 * failed after the config itself was read. Opening never writes it otherwise, so reading an image has no side
 * effects by default.
 */
public final class Image implements AutoCloseable {
    private final List<Blob> blobs;
    private final ImageConfig config;
    private final LayerStack stack;
    private final WritableLayer upper;
    private final RandomAccessBlockDevice device;

    private Image(List<Blob> blobs, ImageConfig config, LayerStack stack, WritableLayer upper,
                  RandomAccessBlockDevice device) {
        this.blobs = blobs;
        this.config = config;
        this.stack = stack;
        this.upper = upper;
        this.device = device;
    }

    /**
     * Opens what a user names on a command line: one {@code config.json} (recognised by its content, a JSON object),
     * or one or more blob files, lowest layer first.
     */
    public static Image open(List<Path> inputs) throws IOException {
        return open(inputs, false);
    }

    /**
     * Opens a config.json or blob files, as {@link #open(List)}; with {@code writeResult}, a config's
     * {@code resultFile} receives the outcome (see the class comment).
     */
    public static Image open(List<Path> inputs, boolean writeResult) throws IOException {
        return open(inputs, writeResult, FileAccess.AUTO);
    }

    /**
     * Opens a config.json or blob files, as {@link #open(List, boolean)}, reading every blob file as {@code access}
     * says (the other overloads use {@link FileAccess#AUTO}: mapped wherever close can unmap).
     */
    public static Image open(List<Path> inputs, boolean writeResult, FileAccess access) throws IOException {
        return open(inputs, writeResult, access, false);
    }

    /**
     * Opens a config.json or blob files, as {@link #open(List, boolean, FileAccess)}; with {@code acceptRaw}, a
     * single file that is no OverlayBD blob is read as plain bytes ({@link Blob.Kind#RAW}) instead of failing with
     * {@link Blob#NOT_OVERLAYBD}: an explicit choice, for callers that want to read plain disk images too.
     *
     * @throws IllegalArgumentException if no input is given, or a config.json is given with other files
     */
    public static Image open(List<Path> inputs, boolean writeResult, FileAccess access, boolean acceptRaw)
            throws IOException {
        if (inputs.isEmpty()) {
            throw new IllegalArgumentException("no image given");
        }
        if (inputs.size() == 1 && isJsonConfig(inputs.get(0))) {
            return openConfig(inputs.get(0), writeResult, access);
        }
        requireNoConfig(inputs);
        return openLayers(inputs, access, acceptRaw);
    }

    /**
     * @throws IllegalArgumentException naming the config when one of several inputs is a config.json, which must be
     *                                  the only input
     */
    public static void requireNoConfig(List<Path> inputs) throws IOException {
        if (inputs.size() > 1) {
            for (Path p : inputs) {
                if (Files.isRegularFile(p) && isJsonConfig(p)) {
                    throw new IllegalArgumentException(p + " is a config.json: give it alone, not with other "
                            + "files (its lowers name the layers)");
                }
            }
        }
    }

    /**
     * @return true if the file starts (after a UTF-8 byte order mark and white space) with '{', as a config.json does
     *         and no blob does
     */
    public static boolean isJsonConfig(Path file) throws IOException {
        if (Files.isDirectory(file)) {
            return false; // not a config; opening it as a blob says what it is
        }
        try (InputStream in = Files.newInputStream(file)) {
            int c = in.read();
            if (c == 0xEF && in.read() == 0xBB && in.read() == 0xBF) {
                c = in.read();
            }
            while (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                c = in.read();
            }
            return c == '{';
        }
    }

    /**
     * Opens blob files, lowest layer first.
     *
     * @throws FormatException naming the file when a blob is corrupt, or when several blobs are given and one of
     *                         them is not an LSMT layer
     */
    public static Image openLayers(List<Path> lowestFirst) throws IOException {
        return openLayers(lowestFirst, FileAccess.AUTO);
    }

    /** Opens blob files, lowest layer first, as {@link #openLayers(List)}, reading them as {@code access} says. */
    public static Image openLayers(List<Path> lowestFirst, FileAccess access) throws IOException {
        return openLayers(lowestFirst, access, false);
    }

    /**
     * Opens blob files as {@link #openLayers(List, FileAccess)}; with {@code acceptRaw}, a single plain file (no
     * OverlayBD blob) is read as raw bytes instead of being an error.
     */
    public static Image openLayers(List<Path> lowestFirst, FileAccess access, boolean acceptRaw) throws IOException {
        List<Blob> blobs = new ArrayList<>();
        try {
            for (Path p : lowestFirst) {
                blobs.add(Blob.open(p, access, acceptRaw && lowestFirst.size() == 1));
            }
            return compose(blobs, null, null);
        } catch (IOException | RuntimeException e) {
            closeAll(blobs, e);
            throw e;
        }
    }

    /**
     * Composes already opened blobs, lowest layer first, into an image, as {@link #openLayers(List)} composes blob
     * files: for blobs opened from devices ({@link Blob#open(RandomAccessBlockDevice, io.overlaybd.zfile.ZFileDevice.RereadHook)}),
     * such as remote blobs. The image owns the blobs: closing it (or a failure here) closes them.
     *
     * @throws FormatException naming the blob when several are given and one of them is not an LSMT layer
     */
    public static Image of(List<Blob> lowestFirst) throws IOException {
        if (lowestFirst.isEmpty()) {
            throw new IllegalArgumentException("no image given");
        }
        List<Blob> blobs = new ArrayList<>(lowestFirst);
        try {
            return compose(blobs, null, null);
        } catch (IOException | RuntimeException e) {
            closeAll(blobs, e);
            throw e;
        }
    }

    /**
     * Opens the image a config.json describes; errors name the config entry that failed.
     *
     * @throws ConfigException naming the config file and the entry (e.g. {@code lowers[1] (layer2.blob)}) when the
     *                         config is malformed or a layer is missing, corrupt or not an LSMT layer; the message
     *                         includes the underlying error, which names the blob file and the offset
     */
    public static Image openConfig(Path configFile) throws IOException {
        return openConfig(configFile, false);
    }

    /**
     * Opens the image a config.json describes, as {@link #openConfig(Path)}; with {@code writeResult}, writes the
     * config's {@code resultFile} (if it names one): {@code success}, or {@code failed:<message>} when opening fails
     * after the config was read.
     */
    public static Image openConfig(Path configFile, boolean writeResult) throws IOException {
        return openConfig(configFile, writeResult, FileAccess.AUTO);
    }

    /**
     * Opens the image a config.json describes, as {@link #openConfig(Path, boolean)}, reading the lower layers' blob
     * files as {@code access} says (the writable upper, which may still grow, is always read positionally).
     */
    public static Image openConfig(Path configFile, boolean writeResult, FileAccess access) throws IOException {
        ImageConfig cfg = ImageConfig.read(configFile);
        Image image;
        try {
            image = openConfig(cfg, access);
        } catch (IOException | RuntimeException e) {
            if (writeResult) {
                try {
                    cfg.writeResult(e.getMessage() != null ? e.getMessage() : e.toString());
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        if (writeResult) {
            try {
                cfg.writeResult(null);
            } catch (IOException | RuntimeException e) {
                try {
                    image.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
        return image;
    }

    private static Image openConfig(ImageConfig cfg, FileAccess access) throws IOException {
        Path configFile = cfg.source();
        List<Blob> blobs = new ArrayList<>();
        WritableLayer upper = null;
        try {
            List<ImageConfig.Lower> lowers = cfg.lowers();
            if (cfg.accelerationLayer() && !lowers.isEmpty()) {
                lowers = lowers.subList(0, lowers.size() - 1); // the reference drops the trace layer from the stack
            }
            for (ImageConfig.Lower lower : lowers) {
                Path file = cfg.blobFile(lower);
                try {
                    Blob b = Blob.open(file, access);
                    blobs.add(b);
                    if (!b.isLayer()) {
                        throw new ConfigException(configFile, lower.label(), file + " is not an LSMT layer (detected "
                                + b.kind() + ")");
                    }
                } catch (ConfigException e) {
                    throw e;
                } catch (IOException e) {
                    throw new ConfigException(configFile, lower.label(), reason(e), e);
                }
            }
            if (cfg.upper().isPresent()) {
                ImageConfig.Upper u = cfg.upper().get();
                try {
                    // read-only: an Image is a read-only device, so opening it never modifies the writable layer
                    upper = WritableLayer.openReadOnly(u.data(), u.index());
                } catch (IOException e) {
                    throw new ConfigException(configFile, u.label(), reason(e), e);
                }
            }
            return compose(blobs, cfg, upper);
        } catch (IOException | RuntimeException e) {
            if (upper != null) {
                try {
                    upper.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            closeAll(blobs, e);
            throw e;
        }
    }

    private static Image compose(List<Blob> blobs, ImageConfig cfg, WritableLayer upper) throws IOException {
        if (blobs.size() == 1 && !blobs.get(0).isLayer() && upper == null) {
            return new Image(List.copyOf(blobs), cfg, null, null, blobs.get(0).content());
        }
        List<LsmtLayer> layers = new ArrayList<>();
        for (Blob b : blobs) {
            if (!b.isLayer()) {
                throw new FormatException(b.name(), "lsmt header", 0, "not an LSMT layer (detected "
                        + b.kind() + "): only LSMT layers can be stacked");
            }
            layers.add(b.layer().orElseThrow());
        }
        LayerStack stack = upper == null ? LayerStack.of(layers, StackOptions.DEFAULTS)
                : LayerStack.of(layers, upper, StackOptions.DEFAULTS);
        return new Image(List.copyOf(blobs), cfg, stack, upper, stack);
    }

    /** @return the message of an I/O error, saying what a bare file-system exception means. */
    static String reason(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file: " + e.getMessage();
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied: " + e.getMessage();
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    private static void closeAll(List<Blob> blobs, Exception primary) {
        for (Blob b : blobs) {
            try {
                b.close();
            } catch (IOException suppressed) {
                primary.addSuppressed(suppressed);
            }
        }
    }

    /** @return the composed device: what {@code overlaybd cat} prints. */
    public RandomAccessBlockDevice device() {
        return device;
    }

    /** @return the blobs, lowest first. */
    public List<Blob> blobs() {
        return blobs;
    }

    /** @return the config the image came from, if any. */
    public Optional<ImageConfig> config() {
        return Optional.ofNullable(config);
    }

    /** @return the layer stack, unless the image is a single non-layer blob. */
    public Optional<LayerStack> stack() {
        return Optional.ofNullable(stack);
    }

    /** @return the writable upper layer, if the config names one. */
    public Optional<WritableLayer> upper() {
        return Optional.ofNullable(upper);
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        if (stack != null) {
            try {
                stack.close();
            } catch (IOException e) {
                first = e;
            }
        }
        if (upper != null) {
            try {
                upper.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        for (Blob b : blobs) {
            try {
                b.close();
            } catch (IOException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
