package io.overlaybd.image;

import io.overlaybd.core.ChecksumMismatchException;
import io.overlaybd.core.FormatException;
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

    // ------------------------------------------------------------------------------- for the verifier's checks

    static Finding error(String code, String file, String structure, long offset, String message) {
        return new Finding(Severity.ERROR, code, file, structure, offset, message);
    }

    /**
     * A format exception becomes an error at a file offset: its own offset is relative to the device it names, which
     * starts at {@code base} in the file ({@code where} = {@link ImageVerifier#DECOMPRESSED} when that device is decompressed).
     */
    static Finding fromFormat(String code, String file, String where, long base, FormatException e) {
        long off = e.offset() >= 0 ? base + e.offset() : -1;
        String c = code;
        if (e instanceof ChecksumMismatchException) {
            c = code.substring(0, code.indexOf('.')) + ".checksum";
        }
        return new Finding(Severity.ERROR, c, file, e.structure() + where, off, detail(e));
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
}
