package io.overlaybd.image;

import java.io.IOException;
import java.nio.file.Path;

/** A config.json that cannot be used: malformed, mistyped, incomplete, or naming files that are not there. */
public class ConfigException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String field;

    public ConfigException(Path file, String field, String detail) {
        this(file, field, detail, null);
    }

    public ConfigException(Path file, String field, String detail, Throwable cause) {
        super(file + ": " + field + ": " + detail, cause);
        this.file = file;
        this.field = field;
    }

    /** @return the config file. */
    public Path file() {
        return file;
    }

    /** @return the JSON path of the offending field, e.g. {@code lowers[2].file}; {@code $} for the whole file. */
    public String field() {
        return field;
    }
}
