package io.overlaybd.image;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One thing verification found: an error (the image is broken or does not match what was promised), a warning
 * (readable here, but the reference or another reader would fail or differ) or a note (harmless oddities such as
 * garbage in reserved fields of a legacy file).
 *
 * @param severity  how bad it is
 * @param code      a stable identifier such as {@code zfile.block.checksum}; see the JSON schema
 * @param file      the blob file concerned, or null for image-wide findings
 * @param structure the structure concerned, e.g. {@code zfile block 17}, {@code lsmt index}
 * @param offset    the byte offset in {@code file} (or in the unwrapped content, as the message says), or -1
 * @param message   what is wrong, with actual and expected values
 */
public record Finding(Severity severity, String code, String file, String structure, long offset, String message) {

    /** How bad a finding is. */
    public enum Severity {
        ERROR, WARNING, NOTE;

        /** @return the lowercase name used in JSON. */
        public String json() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** @return the finding as the JSON object of the report schema. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("severity", severity.json());
        m.put("code", code);
        m.put("file", file);
        m.put("structure", structure);
        m.put("offset", offset);
        m.put("message", message);
        return m;
    }

    /** @return one human line: {@code error zfile.block.checksum layer.zfile@12345 (zfile block 3): …}. */
    public String toLine() {
        StringBuilder sb = new StringBuilder(severity.json()).append(' ').append(code);
        if (file != null) {
            sb.append(' ').append(file);
            if (offset >= 0) {
                sb.append('@').append(offset);
            }
        }
        if (structure != null) {
            sb.append(" (").append(structure).append(')');
        }
        return sb.append(": ").append(message).toString();
    }
}
