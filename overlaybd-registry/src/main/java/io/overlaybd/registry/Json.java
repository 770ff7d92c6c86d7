package io.overlaybd.registry;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Typed access to parsed JSON documents from the network: every wrong type or missing field is a
 * {@link RegistryException} naming the document and the field, never a {@link ClassCastException}. Stateless.
 */
final class Json {
    static final Pattern SHA256 = Pattern.compile("sha256:[0-9a-f]{64}");
    /** The largest JSON document (manifest, index, config, token answer) read from a registry. */
    static final int MAX_DOCUMENT = 4 << 20;

    private Json() {
    }

    static Map<String, Object> parseObject(byte[] body, String what) throws RegistryException {
        return parseObject(body, what, true);
    }

    /**
     * Parses a document that may hold a secret (a credential helper's answer, a token endpoint's): a failure names
     * the document and the byte offset only, never the parser's message or cause, which may quote the offending text.
     */
    static Map<String, Object> parseSecretObject(byte[] body, String what) throws RegistryException {
        return parseObject(body, what, false);
    }

    private static Map<String, Object> parseObject(byte[] body, String what, boolean quote)
            throws RegistryException {
        if (body.length > MAX_DOCUMENT) {
            throw new RegistryException(what + ": " + body.length + " bytes, more than the " + MAX_DOCUMENT
                    + "-byte limit for a JSON document");
        }
        Object o;
        try {
            o = JSON.std.anyFrom(body);
        } catch (IOException | RuntimeException e) {
            if (quote) {
                throw new RegistryException(what + ": not valid JSON (" + oneLine(e.getMessage()) + ")", e);
            }
            JsonLocation at = e instanceof JsonProcessingException j ? j.getLocation() : null;
            long offset = at == null ? -1 : at.getByteOffset() >= 0 ? at.getByteOffset() : at.getCharOffset();
            throw new RegistryException(what + ": not valid JSON (" + body.length + " bytes" + (offset >= 0
                    ? ", error at byte offset " + offset : "") + "; its text is not shown: it may hold a secret)");
        }
        if (!(o instanceof Map<?, ?> m)) {
            throw new RegistryException(what + ": not a JSON object");
        }
        return cast(m);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> cast(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    static String string(Map<String, Object> m, String key, String what, boolean required)
            throws RegistryException {
        Object v = m.get(key);
        if (v == null) {
            if (required) {
                throw new RegistryException(what + ": field \"" + key + "\" is missing");
            }
            return null;
        }
        if (!(v instanceof String s)) {
            throw new RegistryException(what + ": field \"" + key + "\" is not a string");
        }
        return s;
    }

    static long number(Map<String, Object> m, String key, String what) throws RegistryException {
        Object v = m.get(key);
        if (!(v instanceof Integer || v instanceof Long || v instanceof java.math.BigInteger)) {
            throw new RegistryException(what + ": field \"" + key + "\" is " + (v == null ? "missing"
                    : "not an integer"));
        }
        if (v instanceof java.math.BigInteger) {
            throw new RegistryException(what + ": field \"" + key + "\" is too large");
        }
        long n = ((Number) v).longValue();
        if (n < 0) {
            throw new RegistryException(what + ": field \"" + key + "\" is negative (" + n + ")");
        }
        return n;
    }

    static Map<String, Object> object(Map<String, Object> m, String key, String what, boolean required)
            throws RegistryException {
        Object v = m.get(key);
        if (v == null) {
            if (required) {
                throw new RegistryException(what + ": field \"" + key + "\" is missing");
            }
            return null;
        }
        if (!(v instanceof Map<?, ?> o)) {
            throw new RegistryException(what + ": field \"" + key + "\" is not an object");
        }
        return cast(o);
    }

    static List<?> array(Map<String, Object> m, String key, String what, boolean required)
            throws RegistryException {
        Object v = m.get(key);
        if (v == null) {
            if (required) {
                throw new RegistryException(what + ": field \"" + key + "\" is missing");
            }
            return List.of();
        }
        if (!(v instanceof List<?> l)) {
            throw new RegistryException(what + ": field \"" + key + "\" is not an array");
        }
        return l;
    }

    static Map<String, Object> element(List<?> l, int i, String what) throws RegistryException {
        Object v = l.get(i);
        if (!(v instanceof Map<?, ?> o)) {
            throw new RegistryException(what + ": not an object");
        }
        return cast(o);
    }

    static Map<String, String> stringMap(Map<String, Object> m, String key, String what)
            throws RegistryException {
        Map<String, Object> o = object(m, key, what, false);
        Map<String, String> out = new LinkedHashMap<>();
        if (o != null) {
            for (Map.Entry<String, Object> e : o.entrySet()) {
                if (!(e.getValue() instanceof String s)) {
                    throw new RegistryException(what + ": " + key + "[\"" + e.getKey() + "\"] is not a string");
                }
                out.put(e.getKey(), s);
            }
        }
        return out;
    }

    static String digest(Map<String, Object> m, String what) throws RegistryException {
        String d = string(m, "digest", what, true);
        if (!SHA256.matcher(d).matches()) {
            throw new RegistryException(what + ": digest '" + clip(d) + "' is not sha256: and 64 lowercase hex "
                    + "digits");
        }
        return d;
    }

    static String write(Object value) {
        try {
            return JSON.std.asString(value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }

    static String clip(String s) {
        return s.length() > 80 ? s.substring(0, 80) + "..." : s;
    }

    static String oneLine(String s) {
        return s == null ? "" : clip(s.replaceAll("\\s+", " "));
    }
}
