package io.overlaybd.registry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One {@code WWW-Authenticate} challenge (RFC 7235): a scheme ({@code basic} or {@code bearer}, lowercased) and its
 * parameters ({@code realm}, {@code service}, {@code scope}, ...; names lowercased). Immutable.
 *
 * @param scheme the auth scheme, lowercase
 * @param params the auth parameters, names lowercase, values unquoted
 */
public record Challenge(String scheme, Map<String, String> params) {
    private static final int MAX_HEADER = 8192;

    public Challenge {
        params = Map.copyOf(params);
    }

    /** @return the parameter, or null. */
    public String param(String name) {
        return params.get(name);
    }

    /**
     * Parses the challenges of {@code WWW-Authenticate} header values and picks the one to answer: Bearer if offered,
     * else Basic.
     *
     * @return the challenge, or empty when there is none this client can answer (or the header is malformed)
     */
    public static Optional<Challenge> choose(List<String> headerValues) {
        Challenge basic = null;
        for (String v : headerValues) {
            for (Challenge c : parse(v)) {
                if (c.scheme().equals("bearer")) {
                    return Optional.of(c);
                }
                if (c.scheme().equals("basic") && basic == null) {
                    basic = c;
                }
            }
        }
        return Optional.ofNullable(basic);
    }

    /**
     * Parses one header value, which may hold several challenges ({@code Bearer realm="a",scope="b", Basic
     * realm="c"}). Malformed input ends the parse: what was parsed so far is returned; nothing is thrown.
     */
    public static List<Challenge> parse(String header) {
        List<Challenge> out = new java.util.ArrayList<>();
        if (header == null || header.length() > MAX_HEADER) {
            return out;
        }
        int i = 0;
        int n = header.length();
        String scheme = null;
        Map<String, String> params = new LinkedHashMap<>();
        while (i < n) {
            i = skip(header, i, " \t,");
            if (i >= n) {
                break;
            }
            int start = i;
            while (i < n && isToken(header.charAt(i))) {
                i++;
            }
            if (i == start) {
                break; // not a token: malformed
            }
            String token = header.substring(start, i);
            int j = skip(header, i, " \t");
            if (j < n && header.charAt(j) == '=' && scheme != null) {
                // an auth-param of the current challenge
                j = skip(header, j + 1, " \t");
                String value;
                if (j < n && header.charAt(j) == '"') {
                    StringBuilder b = new StringBuilder();
                    j++;
                    boolean closed = false;
                    while (j < n) {
                        char c = header.charAt(j++);
                        if (c == '\\' && j < n) {
                            b.append(header.charAt(j++));
                        } else if (c == '"') {
                            closed = true;
                            break;
                        } else {
                            b.append(c);
                        }
                    }
                    if (!closed) {
                        break;
                    }
                    value = b.toString();
                } else {
                    int vs = j;
                    while (j < n && isToken(header.charAt(j))) {
                        j++;
                    }
                    value = header.substring(vs, j);
                }
                params.putIfAbsent(token.toLowerCase(Locale.ROOT), value);
                i = j;
            } else {
                // a new challenge scheme
                if (scheme != null) {
                    out.add(new Challenge(scheme, params));
                }
                scheme = token.toLowerCase(Locale.ROOT);
                params = new LinkedHashMap<>();
                i = j;
            }
        }
        if (scheme != null) {
            out.add(new Challenge(scheme, params));
        }
        return out;
    }

    private static int skip(String s, int i, String chars) {
        while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        return i;
    }

    private static boolean isToken(char c) {
        return c > 0x20 && c < 0x7F && "()<>@,;:\\\"/[]?={} \t".indexOf(c) < 0 || c == '/' || c == ':';
    }
}
