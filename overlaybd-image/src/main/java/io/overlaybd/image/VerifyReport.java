package io.overlaybd.image;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of {@link ImageVerifier}: what each layer is, and every finding, never stopping at the first. Its JSON
 * form ({@link #toJson()}) follows {@code verify-report.schema.json} (schema version {@value #SCHEMA_VERSION}),
 * which is stable: fields are only ever added.
 */
public final class VerifyReport {
    /** The version of the JSON schema this report follows. */
    public static final int SCHEMA_VERSION = 1;

    private final List<Map<String, Object>> layers;
    private final List<Finding> findings;
    private final Map<String, Object> image;

    VerifyReport(List<Map<String, Object>> layers, List<Finding> findings, Map<String, Object> image) {
        this.layers = List.copyOf(layers);
        this.findings = List.copyOf(findings);
        this.image = image;
    }

    /**
     * A report from its parts, for verifiers built on top of {@link ImageVerifier} (a registry verifier adds the
     * findings only the registry can give and names blobs by digest instead of by local file).
     *
     * @param layers   per-layer facts as in {@link #layers()}
     * @param findings every finding, in order
     * @param image    image facts as in the {@code image} object of the JSON report
     */
    public static VerifyReport of(List<Map<String, Object>> layers, List<Finding> findings, Map<String, Object> image) {
        return new VerifyReport(layers, findings, image);
    }

    /** @return the image facts: the {@code image} object of the JSON report. */
    public Map<String, Object> image() {
        return image;
    }

    /** @return every finding, in the order found (layer by layer). */
    public List<Finding> findings() {
        return findings;
    }

    /** @return the findings of a severity. */
    public List<Finding> findings(Finding.Severity severity) {
        List<Finding> out = new ArrayList<>();
        for (Finding f : findings) {
            if (f.severity() == severity) {
                out.add(f);
            }
        }
        return out;
    }

    /** @return true if there is no error (warnings and notes allowed). */
    public boolean ok() {
        return findings(Finding.Severity.ERROR).isEmpty();
    }

    /**
     * @return the summary line {@code overlaybd verify} prints last, e.g. {@code OK: 3 layer(s), 0 error(s),
     *         0 warning(s), 1 note(s)} or {@code FAILED: ...}
     */
    public String summary() {
        return String.format("%s: %d layer(s), %d error(s), %d warning(s), %d note(s)", ok() ? "OK" : "FAILED",
                layers.size(), findings(Finding.Severity.ERROR).size(), findings(Finding.Severity.WARNING).size(),
                findings(Finding.Severity.NOTE).size());
    }

    /** @return every finding on its own line, then the {@link #summary()}: what {@code overlaybd verify} prints. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Finding f : findings) {
            b.append(f.toLine()).append('\n');
        }
        return b.append(summary()).toString();
    }

    /** @return per-layer facts (kind, sizes, codec, uuids, checked blocks), lowest first, as JSON-ready maps. */
    public List<Map<String, Object>> layers() {
        return layers;
    }

    /**
     * @return the report as JSON text following the schema: pretty-printed, with {@code null} values written out
     *         (the schema requires keys such as {@code image.virtualSize} and {@code findings[].file} even when null)
     */
    public String toJsonText() {
        try {
            return JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT, JSON.Feature.WRITE_NULL_PROPERTIES)
                    .asString(toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serialise the report", e); // maps of plain values never fail
        }
    }

    /** @return the report as the JSON object of the schema (serialise it with nulls kept, as {@link #toJsonText}). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("schemaVersion", SCHEMA_VERSION);
        m.put("ok", ok());
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("layers", layers.size());
        summary.put("errors", findings(Finding.Severity.ERROR).size());
        summary.put("warnings", findings(Finding.Severity.WARNING).size());
        summary.put("notes", findings(Finding.Severity.NOTE).size());
        m.put("summary", summary);
        m.put("image", image);
        m.put("layers", layers);
        List<Map<String, Object>> f = new ArrayList<>();
        for (Finding x : findings) {
            f.add(x.toJson());
        }
        m.put("findings", f);
        return m;
    }
}
