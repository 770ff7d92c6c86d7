package io.overlaybd.nbd;

import static io.overlaybd.nbd.NbdProtocol.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.overlaybd.core.MemoryDevice;
import io.overlaybd.lsmt.CreateOptions;
import io.overlaybd.lsmt.WritableLayer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The protocol byte by byte with a raw client: options, replies, errors, and hostile clients. */
@Timeout(60)
class NbdProtocolTest {
    private static final int SIZE = 4 << 20;

    @TempDir
    Path tmp;

    private byte[] content;
    private WritableLayer sparse;
    private NbdServer server;

    /** Export "mem": 4 MiB of random bytes. Export "lsmt": data at [1 MiB, +64 KiB), a discard at [2 MiB, +64 KiB). */
    @BeforeEach
    void start() throws IOException {
        content = new byte[SIZE];
        new Random(7).nextBytes(content);
        try (WritableLayer w = WritableLayer.create(tmp.resolve("l.data"), tmp.resolve("l.index"),
                CreateOptions.ofSize(SIZE))) {
            w.write(1 << 20, content, 0, 64 << 10);
            w.discard(2 << 20, 64 << 10);
        }
        sparse = WritableLayer.openReadOnly(tmp.resolve("l.data"), tmp.resolve("l.index"));
        server = NbdServer.builder().export(NbdExport.readOnly("mem", MemoryDevice.wrap(content))
                        .withDescription("random bytes"))
                .export(NbdExport.readOnly("lsmt", sparse)).unixSocket(tmp.resolve("s.sock"))
                .writeTimeout(Duration.ofSeconds(1)).handshakeTimeout(Duration.ofSeconds(5)).start();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
        sparse.close();
    }

    private RawClient client() throws IOException {
        return new RawClient(server.address()).greet();
    }

    @Test
    void optionsAreAnsweredAndUnknownOnesDoNotEndTheHandshake() throws Exception {
        try (RawClient c = client()) {
            c.option(99, new byte[] {1, 2, 3});
            RawClient.OptionReply r = c.optionReply();
            assertThat(r.option()).isEqualTo(99);
            assertThat(r.type()).isEqualTo(REP_ERR_UNSUP);
            c.option(OPT_STARTTLS, new byte[0]);
            assertThat(c.optionReply().type()).isEqualTo(REP_ERR_POLICY);
            c.option(OPT_LIST, new byte[0]);
            List<String> names = new ArrayList<>();
            for (RawClient.OptionReply l = c.optionReply(); l.type() != REP_ACK; l = c.optionReply()) {
                assertThat(l.type()).isEqualTo(REP_SERVER);
                ByteBuffer d = ByteBuffer.wrap(l.data());
                byte[] n = new byte[d.getInt()];
                d.get(n);
                names.add(new String(n, StandardCharsets.UTF_8));
            }
            assertThat(names).containsExactly("mem", "lsmt");
            c.option(OPT_LIST, new byte[1]);
            assertThat(c.optionReply().type()).isEqualTo(REP_ERR_INVALID);
            c.option(OPT_INFO, RawClient.nameAndRequests("nope"));
            assertThat(c.optionReply().type()).isEqualTo(REP_ERR_UNKNOWN);
            // a name length past the option's data
            c.option(OPT_INFO, ByteBuffer.allocate(8).putInt(1000).putShort((short) 0).array());
            assertThat(c.optionReply().type()).isEqualTo(REP_ERR_INVALID);
            c.option(OPT_SET_META_CONTEXT, RawClient.metaQuery("mem", BASE_ALLOCATION));
            assertThat(c.optionReply().type()).as("before structured replies").isEqualTo(REP_ERR_INVALID);
            c.option(OPT_LIST_META_CONTEXT, RawClient.metaQuery("mem"));
            RawClient.OptionReply m = c.optionReply();
            assertThat(m.type()).isEqualTo(REP_META_CONTEXT);
            assertThat(new String(m.data(), 4, m.data().length - 4, StandardCharsets.US_ASCII))
                    .isEqualTo(BASE_ALLOCATION);
            assertThat(c.optionReply().type()).isEqualTo(REP_ACK);
            c.option(OPT_INFO, RawClient.nameAndRequests("mem", INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE, 77));
            Map<Integer, ByteBuffer> infos = new HashMap<>();
            for (RawClient.OptionReply i = c.optionReply(); i.type() != REP_ACK; i = c.optionReply()) {
                assertThat(i.type()).isEqualTo(REP_INFO);
                ByteBuffer d = ByteBuffer.wrap(i.data());
                infos.put((int) d.getShort(), d);
            }
            assertThat(infos).containsOnlyKeys(INFO_EXPORT, INFO_NAME, INFO_DESCRIPTION, INFO_BLOCK_SIZE);
            assertThat(infos.get(INFO_EXPORT).getLong()).isEqualTo(SIZE);
            assertThat(infos.get(INFO_EXPORT).getShort()).isEqualTo((short) (TF_HAS_FLAGS | TF_READ_ONLY
                    | TF_CAN_MULTI_CONN));
            assertThat(StandardCharsets.UTF_8.decode(infos.get(INFO_NAME)).toString()).isEqualTo("mem");
            assertThat(StandardCharsets.UTF_8.decode(infos.get(INFO_DESCRIPTION)).toString())
                    .isEqualTo("random bytes");
            ByteBuffer bs = infos.get(INFO_BLOCK_SIZE);
            assertThat(new int[] {bs.getInt(), bs.getInt(), bs.getInt()}).containsExactly(512, 4096, 32 << 20);
            // and after all that, GO and a read still work
            assertThat(c.go("mem", false, false)).isEqualTo(SIZE);
            c.request(CMD_READ, 0, 5, 1000, 3000, null);
            RawClient.Reply r2 = c.reply(3000);
            assertThat(r2.error()).isZero();
            assertThat(r2.cookie()).isEqualTo(5);
            assertThat(r2.payload()).isEqualTo(Arrays.copyOfRange(content, 1000, 4000));
            c.request(CMD_DISC, 0, 6, 0, 0, null);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void exportNameEntersTransmissionWithoutZeroPadding() throws Exception {
        try (RawClient c = client()) {
            c.option(OPT_EXPORT_NAME, new byte[0]); // the default export: the first one
            ByteBuffer b = c.read(10);
            assertThat(b.getLong()).isEqualTo(SIZE);
            assertThat(b.getShort() & TF_READ_ONLY).isNotZero();
            c.request(CMD_READ, 0, 1, SIZE - 10, 10, null);
            assertThat(c.reply(10).payload()).isEqualTo(Arrays.copyOfRange(content, SIZE - 10, SIZE));
        }
        try (RawClient c = client()) {
            c.option(OPT_EXPORT_NAME, "nope".getBytes(StandardCharsets.UTF_8));
            assertThat(c.closedByServer()).as("an unknown export for EXPORT_NAME ends the session").isTrue();
        }
    }

    @Test
    void structuredReadsSendHolesAndBlockStatusFollowsTheIndex() throws Exception {
        try (RawClient c = client()) {
            c.go("lsmt", true, true);
            c.request(CMD_READ, 0, 1, (1 << 20) - 4096, 8192, null);
            RawClient.Reply hole = c.reply(0);
            assertThat(hole.type()).isEqualTo(REPLY_TYPE_OFFSET_HOLE);
            ByteBuffer h = ByteBuffer.wrap(hole.payload());
            assertThat(h.getLong()).isEqualTo((1 << 20) - 4096);
            assertThat(h.getInt()).isEqualTo(4096);
            assertThat(hole.done()).isFalse();
            RawClient.Reply data = c.reply(0);
            assertThat(data.type()).isEqualTo(REPLY_TYPE_OFFSET_DATA);
            assertThat(data.done()).isTrue();
            ByteBuffer d = ByteBuffer.wrap(data.payload());
            assertThat(d.getLong()).isEqualTo(1 << 20);
            byte[] got = new byte[4096];
            d.get(got);
            assertThat(got).isEqualTo(Arrays.copyOfRange(content, 0, 4096));

            c.request(CMD_BLOCK_STATUS, 0, 2, 0, SIZE, null);
            RawClient.Reply bs = c.reply(0);
            assertThat(bs.type()).isEqualTo(REPLY_TYPE_BLOCK_STATUS);
            assertThat(descriptors(bs)).containsExactly(
                    List.of(1L << 20, 3L), List.of(64L << 10, 0L), List.of((1L << 20) - (64 << 10), 3L),
                    List.of(64L << 10, 2L), List.of((2L << 20) - (64 << 10), 3L));
            c.request(CMD_BLOCK_STATUS, CMD_FLAG_REQ_ONE, 3, (1 << 20) + 512, 100, null);
            assertThat(descriptors(c.reply(0))).containsExactly(List.of(100L, 0L));
            c.request(CMD_BLOCK_STATUS, CMD_FLAG_REQ_ONE, 4, 0, SIZE, null);
            assertThat(descriptors(c.reply(0))).containsExactly(List.of(1L << 20, 3L));
            // DF: one data chunk with the zeros in it
            c.request(CMD_READ, CMD_FLAG_DF, 5, (1 << 20) - 4096, 8192, null);
            RawClient.Reply one = c.reply(0);
            assertThat(one.type()).isEqualTo(REPLY_TYPE_OFFSET_DATA);
            assertThat(one.done()).isTrue();
            assertThat(one.payload()).hasSize(8 + 8192);
        }
    }

    private static List<List<Long>> descriptors(RawClient.Reply r) {
        ByteBuffer b = ByteBuffer.wrap(r.payload());
        assertThat(b.getInt()).isEqualTo(META_CONTEXT_ID);
        List<List<Long>> out = new ArrayList<>();
        while (b.hasRemaining()) {
            out.add(List.of(b.getInt() & 0xffffffffL, (long) b.getInt()));
        }
        return out;
    }

    @Test
    void badRequestsGetErrorsAndTheConnectionGoesOn() throws Exception {
        try (RawClient c = client()) {
            c.go("mem", true, false);
            c.request(CMD_READ, 0, 1, SIZE - 100, 200, null);
            RawClient.Reply r = c.reply(0);
            assertThat(r.type()).isEqualTo(REPLY_TYPE_ERROR);
            assertThat(r.error()).isEqualTo(EINVAL);
            c.request(CMD_READ, 0, 2, 0, (32 << 20) + 1, null);
            assertThat(c.reply(0).error()).isEqualTo(EOVERFLOW);
            c.request(CMD_READ, 0, 3, -512, 512, null);
            assertThat(c.reply(0).error()).isEqualTo(EINVAL);
            c.request(CMD_WRITE, 0, 4, 0, 4, new byte[] {1, 2, 3, 4});
            assertThat(c.reply(0).error()).isEqualTo(EPERM);
            c.request(CMD_WRITE_ZEROES, 0, 5, 0, 512, null);
            assertThat(c.reply(0).error()).isEqualTo(EPERM);
            c.request(CMD_TRIM, 0, 6, 0, 512, null);
            assertThat(c.reply(0).error()).isEqualTo(EPERM);
            c.request(42, 0, 7, 0, 0, null);
            assertThat(c.reply(0).error()).isEqualTo(EINVAL);
            c.request(CMD_BLOCK_STATUS, 0, 8, 0, 512, null);
            assertThat(c.reply(0).error()).as("no meta context selected").isEqualTo(EINVAL);
            c.request(CMD_READ, 1 << 9, 9, 0, 512, null);
            assertThat(c.reply(0).error()).as("unknown flag").isEqualTo(EINVAL);
            // an oversized write is drained, answered, and the stream stays in sync
            c.request(CMD_WRITE, 0, 10, 0, (32 << 20) + 1, new byte[(32 << 20) + 1]);
            assertThat(c.reply(0).error()).isEqualTo(EOVERFLOW);
            c.request(CMD_READ, 0, 11, 0, 16, null);
            RawClient.Reply ok = c.reply(0);
            assertThat(ok.cookie()).isEqualTo(11);
            assertThat(Arrays.copyOfRange(ok.payload(), 8, 24)).isEqualTo(Arrays.copyOf(content, 16));
        }
    }

    /** close() while writes are in flight: every write that was answered is in the layer when close returns. */
    @Test
    void closeAnswersWhatIsInFlightThenStops() throws Exception {
        Path data = tmp.resolve("g.data");
        Path index = tmp.resolve("g.index");
        List<Long> answered = new ArrayList<>();
        try (WritableLayer w = WritableLayer.create(data, index, CreateOptions.ofSize(1 << 20))) {
            NbdServer s = NbdServer.builder().export(NbdExport.writable("w", w)).unixSocket(tmp.resolve("g.sock"))
                    .workers(2).start();
            try (RawClient c = new RawClient(s.address()).greet()) {
                c.go("w", false, false);
                for (int i = 0; i < 100; i++) {
                    byte[] b = new byte[4096];
                    Arrays.fill(b, (byte) (i + 1));
                    c.request(CMD_WRITE, 0, i, i * 4096L, 4096, b);
                }
                RawClient.Reply first = c.reply(0);
                assertThat(first.error()).isZero();
                answered.add(first.cookie());
                java.util.concurrent.CompletableFuture<Void> closing = java.util.concurrent.CompletableFuture
                        .runAsync(() -> {
                            try {
                                s.close();
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        });
                while (true) {
                    RawClient.Reply r;
                    try {
                        r = c.reply(0);
                    } catch (java.io.EOFException | java.net.SocketException e) {
                        // the server closed the connection; a reset when it closed with our unread writes queued
                        break;
                    }
                    assertThat(r.error()).isZero();
                    answered.add(r.cookie());
                }
                closing.get(30, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
        assertThat(answered).isNotEmpty().doesNotHaveDuplicates();
        try (WritableLayer w = WritableLayer.openReadOnly(data, index)) {
            byte[] b = new byte[4096];
            for (long i : answered) {
                w.readFully(i * 4096, b, 0, b.length);
                byte want = (byte) (i + 1);
                for (byte x : b) {
                    assertThat(x).as("block %d", i).isEqualTo(want);
                }
            }
        }
    }

    /** Found by NbdGarbageProperties: the connection hung when the client went away inside an oversized write. */
    @Test
    void clientGoneInsideAnOversizedWriteClosesTheConnection() throws Exception {
        try (RawClient c = client()) {
            c.go("mem", false, false);
            c.request(CMD_WRITE, 0, 1, 0, 0xf2fde604L, new byte[100]);
            c.ch.shutdownOutput();
            assertThat(c.closedByServer()).isTrue();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (server.connectionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(server.connectionCount()).isZero();
    }

    @Test
    void manyRequestsInFlightAreAnsweredByCookie() throws Exception {
        try (RawClient c = client()) {
            c.go("mem", false, false);
            Random rnd = new Random(1);
            Map<Long, long[]> sent = new java.util.concurrent.ConcurrentHashMap<>();
            for (long cookie = 1; cookie <= 300; cookie++) {
                sent.put(cookie, new long[] {rnd.nextInt(SIZE - 65536), 1 + rnd.nextInt(65536)});
            }
            // replies are read while requests go out, as a real client does: the server drops a client that does
            // not read its replies for longer than the write timeout (1 s here)
            java.util.concurrent.CompletableFuture<Void> replies = java.util.concurrent.CompletableFuture.runAsync(
                    () -> {
                        try {
                            for (int i = 0; i < 300; i++) {
                                ByteBuffer h = c.read(16);
                                assertThat(h.getInt()).isEqualTo(SIMPLE_REPLY_MAGIC);
                                assertThat(h.getInt()).isZero();
                                long[] req = sent.remove(h.getLong());
                                assertThat(req).as("a reply to a cookie in flight").isNotNull();
                                byte[] got = new byte[(int) req[1]];
                                c.read(got.length).get(got);
                                assertThat(got).isEqualTo(Arrays.copyOfRange(content, (int) req[0],
                                        (int) (req[0] + req[1])));
                            }
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    });
            for (long cookie = 1; cookie <= 300; cookie++) {
                long[] req = sent.get(cookie);
                if (req == null) {
                    continue; // already answered
                }
                c.request(CMD_READ, 0, cookie, req[0], (int) req[1], null);
            }
            replies.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(sent).isEmpty();
        }
    }

    @Test
    void hostileClientsAreDisconnectedAndOthersAreServed() throws Exception {
        // garbage instead of the client flags
        try (RawClient c = new RawClient(server.address())) {
            c.read(18);
            c.write(ByteBuffer.wrap(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff}));
            assertThat(c.closedByServer()).isTrue();
        }
        // bad option magic
        try (RawClient c = client()) {
            c.write(ByteBuffer.wrap("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            assertThat(c.closedByServer()).isTrue();
        }
        // option data of 1 GiB: closed without the server reading (or allocating) it
        try (RawClient c = client()) {
            c.write(ByteBuffer.allocate(16).putLong(IHAVEOPT).putInt(OPT_GO).putInt(1 << 30).flip());
            assertThat(c.closedByServer()).isTrue();
        }
        // bad request magic in transmission
        try (RawClient c = client()) {
            c.go("mem", false, false);
            c.write(ByteBuffer.wrap(new byte[28]));
            assertThat(c.closedByServer()).isTrue();
        }
        // a client that vanishes in the middle of a write payload, and one in the middle of a header
        try (RawClient c = client()) {
            c.go("mem", false, false);
            c.request(CMD_WRITE, 0, 1, 0, 1 << 20, new byte[1000]);
        }
        try (RawClient c = client()) {
            c.go("mem", false, false);
            c.write(ByteBuffer.wrap(new byte[] {0x25, 0x60}));
        }
        // one that never finishes its handshake is cut off by the handshake timeout (5 s here)
        RawClient silent = new RawClient(server.address());
        // one that sends reads and never reads the replies: cut off by the write timeout (1 s here)
        RawClient deaf = client();
        deaf.go("mem", false, false);
        for (int i = 0; i < 40; i++) {
            deaf.request(CMD_READ, 0, i, 0, 4 << 20, null);
        }
        // meanwhile a well-behaved client is served
        try (RawClient c = client()) {
            c.go("lsmt", true, false);
            c.request(CMD_READ, 0, 9, 1 << 20, 512, null);
            RawClient.Reply r = c.reply(0);
            assertThat(r.type()).isEqualTo(REPLY_TYPE_OFFSET_DATA);
            assertThat(Arrays.copyOfRange(r.payload(), 8, 520)).isEqualTo(Arrays.copyOf(content, 512));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (server.connectionCount() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(server.connectionCount()).as("every hostile connection closed").isZero();
        assertThat(silent.closedByServer()).isTrue();
        silent.close();
        deaf.close();
    }

    /**
     * Writes sharing sectors, all in flight at once, to a slow sector-only target: each one's read-modify-write of
     * its edge sectors must not overwrite a neighbour's bytes (fails when the range lock is taken out).
     */
    @Test
    void readModifyWriteIsSerializedAgainstOverlappingWrites() throws Exception {
        byte[] disk = new byte[1 << 16];
        byte[] model = new byte[disk.length];
        NbdExport.Writer slow = new NbdExport.Writer() {
            @Override
            public void write(long position, byte[] src, int off, int len) throws IOException {
                assertThat(position % 512).isZero();
                assertThat(len % 512).isZero();
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                synchronized (disk) {
                    System.arraycopy(src, off, disk, (int) position, len);
                }
            }

            @Override
            public void discard(long position, long length) {
                throw new AssertionError("no discards here");
            }

            @Override
            public void flush() {
            }
        };
        MemoryDevice view = MemoryDevice.wrap(disk);
        io.overlaybd.core.RandomAccessBlockDevice synced = new io.overlaybd.core.RandomAccessBlockDevice() {
            @Override
            public long size() {
                return disk.length;
            }

            @Override
            public int read(long position, byte[] dst, int dstOffset, int length) throws IOException {
                synchronized (disk) {
                    return view.read(position, dst, dstOffset, length);
                }
            }

            @Override
            public String description() {
                return "slow";
            }

            @Override
            public void close() {
            }
        };
        try (NbdServer s = NbdServer.builder().export(NbdExport.custom("slow", synced, slow))
                .unixSocket(tmp.resolve("slow.sock")).workers(16).start();
             RawClient c = new RawClient(s.address()).greet()) {
            c.go("slow", false, false);
            Random rnd = new Random(5);
            int n = 0;
            for (int off = 3; off + 61 <= 20_000; off += 61) {
                byte[] b = new byte[61];
                rnd.nextBytes(b);
                System.arraycopy(b, 0, model, off, b.length);
                c.request(CMD_WRITE, 0, n++, off, b.length, b);
            }
            for (int i = 0; i < n; i++) {
                assertThat(c.reply(0).error()).isZero();
            }
            c.request(CMD_READ, 0, n, 0, disk.length, null);
            assertThat(Arrays.mismatch(c.reply(disk.length).payload(), model)).as("first wrong byte").isEqualTo(-1);
        }
    }

    @Test
    void unalignedWritesInFlightTogetherKeepEveryByte() throws Exception {
        Path data = tmp.resolve("w.data");
        Path index = tmp.resolve("w.index");
        byte[] model = new byte[1 << 20];
        try (WritableLayer w = WritableLayer.create(data, index, CreateOptions.ofSize(model.length));
             NbdServer s = NbdServer.builder().export(NbdExport.writable("w", w))
                     .unixSocket(tmp.resolve("w.sock")).workers(8).start();
             RawClient c = new RawClient(s.address()).greet()) {
            c.go("w", false, false);
            Random rnd = new Random(3);
            // 37-byte writes side by side: neighbours share sectors, so each is a read-modify-write
            // in batches of 100 in flight: a client must read replies while it sends (or both ends stall)
            int n = 0;
            int pending = 0;
            for (int off = 5; off + 37 <= 200_000; off += 37) {
                byte[] b = new byte[37];
                rnd.nextBytes(b);
                System.arraycopy(b, 0, model, off, 37);
                c.request(CMD_WRITE, 0, n++, off, 37, b);
                if (++pending == 100) {
                    for (; pending > 0; pending--) {
                        assertThat(c.reply(0).error()).isZero();
                    }
                }
            }
            // zeroes and a trim with unaligned edges
            c.request(CMD_WRITE_ZEROES, 0, n++, 100_003, 5_000, null);
            Arrays.fill(model, 100_003, 105_003, (byte) 0);
            for (pending++; pending > 0; pending--) {
                assertThat(c.reply(0).error()).isZero();
            }
            c.request(CMD_TRIM, 0, n++, 150_001, 10_000, null);
            Arrays.fill(model, (150_001 + 511) & ~511, (160_001) & ~511, (byte) 0);
            assertThat(c.reply(0).error()).isZero();
            c.request(CMD_FLUSH, 0, n++, 0, 0, null);
            assertThat(c.reply(0).error()).isZero();
            c.request(CMD_WRITE, CMD_FLAG_FUA, n++, model.length - 3, 3, new byte[] {7, 8, 9});
            model[model.length - 3] = 7;
            model[model.length - 2] = 8;
            model[model.length - 1] = 9;
            assertThat(c.reply(0).error()).isZero();
            c.request(CMD_WRITE, 0, n++, model.length - 2, 3, new byte[] {1, 2, 3});
            assertThat(c.reply(0).error()).as("write past the end").isEqualTo(ENOSPC);
            c.request(CMD_READ, 0, n, 0, model.length, null);
            assertThat(Arrays.mismatch(c.reply(model.length).payload(), model)).as("first wrong byte").isEqualTo(-1);
        }
        try (WritableLayer w = WritableLayer.openReadOnly(data, index)) {
            byte[] got = new byte[model.length];
            w.readFully(0, got, 0, got.length);
            assertThat(Arrays.mismatch(got, model)).as("first wrong byte").isEqualTo(-1);
        }
    }
}
