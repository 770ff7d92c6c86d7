package io.overlaybd.cli;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Map;

/** Prints nested maps as pretty JSON (null values kept, so keys are stable) or as indented {@code key: value} text. */
final class Output {
    private Output() {
    }

    static void json(PrintWriter out, Object value) throws IOException {
        out.println(JSON.std.with(JSON.Feature.PRETTY_PRINT_OUTPUT, JSON.Feature.WRITE_NULL_PROPERTIES)
                .asString(value));
        out.flush();
    }

    static void text(PrintWriter out, Map<String, Object> map) {
        text(out, map, "");
        out.flush();
    }

    @SuppressWarnings("unchecked")
    private static void text(PrintWriter out, Map<String, Object> map, String indent) {
        for (Map.Entry<String, Object> e : map.entrySet()) {
            Object v = e.getValue();
            if (v instanceof Map) {
                out.println(indent + e.getKey() + ":");
                text(out, (Map<String, Object>) v, indent + "  ");
            } else if (v instanceof List<?> list) {
                out.println(indent + e.getKey() + ": (" + list.size() + ")");
                int i = 0;
                for (Object item : list) {
                    if (item instanceof Map) {
                        out.println(indent + "  [" + i++ + "]");
                        text(out, (Map<String, Object>) item, indent + "    ");
                    } else {
                        out.println(indent + "  - " + item);
                    }
                }
            } else if (v != null) {
                out.println(indent + e.getKey() + ": " + v);
            }
        }
    }
}
