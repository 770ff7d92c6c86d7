package io.overlaybd.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzzing the option and request decoders over a real socket: a valid session cut at any byte, with one byte flipped
 * and random bytes after it. Whatever the bytes, the server answers or closes the connection (never hangs past the
 * client's end of stream), and a well-behaved client is served correctly afterwards.
 */
class NbdGarbageProperties {
    private static HostileTarget target;
    private static byte[] content;
    private static NbdServer server;
    private static byte[] session;

    @BeforeContainer
    static void start() throws IOException {
        target = new HostileTarget(9);
        content = target.content;
        server = target.server;
        session = validSession();
    }

    @AfterContainer
    static void stop() throws IOException {
        target.close();
    }

    /** Client flags, options (structured replies, a meta context, GO on "rw"), then requests of every kind. */
    static byte[] validSession() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(4).putInt(3).array());
        option(out, NbdProtocol.OPT_STRUCTURED_REPLY, new byte[0]);
        option(out, NbdProtocol.OPT_LIST, new byte[0]);
        option(out, NbdProtocol.OPT_SET_META_CONTEXT, RawClient.metaQuery("rw", NbdProtocol.BASE_ALLOCATION));
        option(out, NbdProtocol.OPT_GO, RawClient.nameAndRequests("rw", NbdProtocol.INFO_BLOCK_SIZE));
        request(out, NbdProtocol.CMD_WRITE, 0, 1, 1000, new byte[700]);
        request(out, NbdProtocol.CMD_READ, 0, 2, 0, 4096);
        request(out, NbdProtocol.CMD_BLOCK_STATUS, 0, 3, 0, 1 << 20);
        request(out, NbdProtocol.CMD_WRITE_ZEROES, 0, 4, 3000, 5000);
        request(out, NbdProtocol.CMD_TRIM, 0, 5, 8192, 8192);
        request(out, NbdProtocol.CMD_FLUSH, 0, 6, 0, 0);
        request(out, NbdProtocol.CMD_DISC, 0, 7, 0, 0);
        return out.toByteArray();
    }

    private static void option(ByteArrayOutputStream out, int option, byte[] data) {
        out.writeBytes(ByteBuffer.allocate(16 + data.length).putLong(NbdProtocol.IHAVEOPT).putInt(option)
                .putInt(data.length).put(data).array());
    }

    private static void request(ByteArrayOutputStream out, int type, int flags, long cookie, long offset, int length) {
        request(out, type, flags, cookie, offset, null, length);
    }

    private static void request(ByteArrayOutputStream out, int type, int flags, long cookie, long offset,
                                byte[] payload) {
        request(out, type, flags, cookie, offset, payload, payload.length);
    }

    private static void request(ByteArrayOutputStream out, int type, int flags, long cookie, long offset,
                                byte[] payload, int length) {
        ByteBuffer b = ByteBuffer.allocate(28 + (payload == null ? 0 : payload.length));
        b.putInt(NbdProtocol.REQUEST_MAGIC).putShort((short) flags).putShort((short) type).putLong(cookie)
                .putLong(offset).putInt(length);
        if (payload != null) {
            b.put(payload);
        }
        out.writeBytes(b.array());
    }

    @Property(tries = 150, seed = "20261201")
    void anyBytesGetAnswersOrAClosedConnection(@ForAll @IntRange(min = 0, max = 10_000) int cut,
                                               @ForAll @IntRange(min = -1, max = 10_000) int flip,
                                               @ForAll @Size(max = 300) byte[] garbage) throws Exception {
        int n = Math.min(cut, session.length);
        byte[] bytes = Arrays.copyOf(session, n + garbage.length);
        System.arraycopy(garbage, 0, bytes, n, garbage.length);
        if (flip >= 0 && flip < n) {
            bytes[flip] ^= (byte) (1 << (flip % 8));
        }
        assertThat(RawClient.sendAndAwaitClose(server.address(), bytes, 20)).as("closed by the server").isTrue();
        RawClient.Reply r = RawClient.readOnce(server.address(), "mem", 42, 4096, 512);
        assertThat(r.cookie()).isEqualTo(42);
        assertThat(Arrays.copyOfRange(r.payload(), 8, 520)).isEqualTo(Arrays.copyOfRange(content, 4096, 4608));
    }
}
