package io.overlaybd.nbd;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzz target: the option and request decoders of {@link NbdServer}, fed arbitrary client bytes over a real Unix
 * socket after the server's greeting (a read-only export "mem" and a writable one "rw"). Contract: whatever the
 * bytes, the server answers or closes the connection within 20 s of the client's end of stream (no hang, no
 * allocation sized by a client length), and a well-behaved client is then served the right bytes: one hostile
 * connection never harms the server or another connection.
 *
 * <p>Regression inputs (seeds: a valid session of every option and command, cuts and garbage) are in
 * {@code src/test/resources/io/overlaybd/nbd/NbdFuzzInputs/clientBytes}; {@link #main} regenerates the seeds.
 * {@code ./fuzz.sh NbdFuzz 10m} fuzzes it.
 */
class NbdFuzz {
    private static HostileTarget target;
    private static byte[] content;
    private static NbdServer server;

    @BeforeAll
    static void start() throws IOException {
        target = new HostileTarget(11);
        content = target.content;
        server = target.server;
    }

    @AfterAll
    static void stop() throws IOException {
        target.close();
    }

    @FuzzTest
    void clientBytes(byte[] input) throws Exception {
        if (!RawClient.sendAndAwaitClose(server.address(), input, 20)) {
            throw new AssertionError("the server kept the connection open after the client's end of stream");
        }
        RawClient.Reply r = RawClient.readOnce(server.address(), "mem", 7, 8192, 512);
        if (r.cookie() != 7 || !Arrays.equals(Arrays.copyOfRange(r.payload(), 8, 520),
                Arrays.copyOfRange(content, 8192, 8704))) {
            throw new AssertionError("a well-behaved client after the fuzzed one was served wrong bytes");
        }
    }

    /** Writes the seed inputs into {@code args[0]}: a valid session, some cuts of it, and garbage. */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args[0]);
        Files.createDirectories(out);
        byte[] session = NbdGarbageProperties.validSession();
        Files.write(out.resolve("seed-valid-session"), session);
        for (int cut : new int[] {3, 4, 20, 60, 120, session.length - 30}) {
            Files.write(out.resolve("seed-cut-" + cut), Arrays.copyOf(session, Math.max(0, cut)));
        }
        byte[] oversized = Arrays.copyOf(session, 20);
        ByteBuffer.wrap(oversized, 16, 4).putInt(Integer.MAX_VALUE); // an option claiming 2 GiB of data
        Files.write(out.resolve("seed-option-length-2g"), oversized);
        byte[] garbage = new byte[200];
        new Random(5).nextBytes(garbage);
        Files.write(out.resolve("seed-garbage"), garbage);
    }
}
