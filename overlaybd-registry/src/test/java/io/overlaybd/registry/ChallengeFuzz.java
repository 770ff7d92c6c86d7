package io.overlaybd.registry;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.overlaybd.testing.FuzzContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Fuzz target: the {@code WWW-Authenticate} parser, {@link Challenge#parse} and {@link Challenge#choose}, on
 * arbitrary header values (the input as ISO-8859-1, as the JDK's HTTP client hands headers over; each {@code \n}
 * starts another header value). Contract: {@link FuzzContract} (nothing escapes, bounded time, no allocation sized by
 * unchecked input), and what is returned is consistent: schemes are non-empty and lowercase, parameter names are
 * lowercase, {@code choose} answers Bearer when any value offers it, else Basic, else nothing.
 *
 * <p>Regression inputs (seeds and every finding) are in
 * {@code src/test/resources/io/overlaybd/registry/ChallengeFuzzInputs/parseChallenge}; {@link #main} regenerates the
 * seeds. {@code ./fuzz.sh ChallengeFuzz 10m} fuzzes it.
 */
class ChallengeFuzz {

    @FuzzTest
    void parseChallenge(byte[] input) {
        FuzzContract.check("Challenge.parse + choose", () -> run(input));
    }

    static void run(byte[] input) {
        List<String> values = Arrays.asList(new String(input, StandardCharsets.ISO_8859_1).split("\n", -1));
        boolean bearer = false;
        boolean basic = false;
        for (String v : values) {
            for (Challenge c : Challenge.parse(v)) {
                if (c.scheme().isEmpty() || !c.scheme().equals(c.scheme().toLowerCase(Locale.ROOT))) {
                    throw new AssertionError("scheme '" + c.scheme() + "' is empty or not lowercase");
                }
                for (String k : c.params().keySet()) {
                    if (k.isEmpty() || !k.equals(k.toLowerCase(Locale.ROOT)) || c.param(k) == null) {
                        throw new AssertionError("parameter name '" + k + "' is empty or not lowercase");
                    }
                }
                bearer |= c.scheme().equals("bearer");
                basic |= c.scheme().equals("basic");
            }
        }
        Optional<Challenge> chosen = Challenge.choose(values);
        String want = bearer ? "bearer" : basic ? "basic" : null;
        if (!String.valueOf(want).equals(chosen.map(Challenge::scheme).orElse("null"))) {
            throw new AssertionError("choose picked " + chosen + " but the values offer bearer=" + bearer
                    + " basic=" + basic);
        }
    }

    /** Writes the seeds into the regression folder: {@code main(src/test/resources/.../parseChallenge)}. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0]
                : "overlaybd-registry/src/test/resources/io/overlaybd/registry/ChallengeFuzzInputs/parseChallenge");
        Files.createDirectories(dir);
        seed(dir, "bearer", "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                + "scope=\"repository:library/ubuntu:pull\"");
        seed(dir, "basic", "Basic realm=\"Registry Realm\"");
        seed(dir, "two-in-one", "Basic realm=\"a\", Bearer realm=\"http://127.0.0.1:5001/token\",service=x");
        seed(dir, "two-values", "Basic realm=\"a\"\nBEARER Realm=b,Scope=\"repository:a/b:pull,push\"");
        seed(dir, "escapes", "Bearer realm=\"a\\\"b\\\\c\",error=\"insufficient_scope\"");
        seed(dir, "unclosed", "Bearer realm=\"abc");
        seed(dir, "token68", "Negotiate YII=, Bearer realm=");
        seed(dir, "garbage", "=,=,\"\t ,;Bearer");
        seed(dir, "empty", "");
    }

    private static void seed(Path dir, String name, String value) throws IOException {
        Files.write(dir.resolve(name), value.getBytes(StandardCharsets.ISO_8859_1));
    }
}
