package io.overlaybd.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/** A minimal NBD client speaking raw bytes, for protocol tests that real clients cannot do (garbage, odd orders). */
final class RawClient implements AutoCloseable {
    final SocketChannel ch;

    /** An option reply. */
    record OptionReply(int option, int type, byte[] data) {
        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    /** A simple reply (structured == false) or one structured chunk. */
    record Reply(boolean structured, int flags, int type, int error, long cookie, byte[] payload) {
        boolean done() {
            return !structured || (flags & NbdProtocol.REPLY_FLAG_DONE) != 0;
        }
    }

    RawClient(SocketAddress address) throws IOException {
        ch = address instanceof UnixDomainSocketAddress ? SocketChannel.open(StandardProtocolFamily.UNIX)
                : SocketChannel.open();
        ch.connect(address);
    }

    /** Reads the greeting and sends the client flags (fixed newstyle, no zeroes). */
    RawClient greet() throws IOException {
        ByteBuffer b = read(18);
        assertThat(b.getLong()).isEqualTo(NbdProtocol.NBDMAGIC);
        assertThat(b.getLong()).isEqualTo(NbdProtocol.IHAVEOPT);
        assertThat(b.getShort() & 0xffff).isEqualTo(NbdProtocol.FLAG_FIXED_NEWSTYLE | NbdProtocol.FLAG_NO_ZEROES);
        write(ByteBuffer.allocate(4).putInt(NbdProtocol.FLAG_C_FIXED_NEWSTYLE | NbdProtocol.FLAG_C_NO_ZEROES).flip());
        return this;
    }

    void option(int option, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + data.length);
        b.putLong(NbdProtocol.IHAVEOPT).putInt(option).putInt(data.length).put(data).flip();
        write(b);
    }

    OptionReply optionReply() throws IOException {
        ByteBuffer h = read(20);
        assertThat(h.getLong()).isEqualTo(NbdProtocol.OPTION_REPLY_MAGIC);
        int option = h.getInt();
        int type = h.getInt();
        int len = h.getInt();
        assertThat(len).isBetween(0, 1 << 16);
        byte[] d = new byte[len];
        read(len).get(d);
        return new OptionReply(option, type, d);
    }

    static byte[] nameAndRequests(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length);
        b.putInt(n.length).put(n).putShort((short) infos.length);
        for (int i : infos) {
            b.putShort((short) i);
        }
        return b.array();
    }

    static byte[] metaQuery(String name, String... queries) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        int len = 4 + n.length + 4;
        for (String q : queries) {
            len += 4 + q.length();
        }
        ByteBuffer b = ByteBuffer.allocate(len);
        b.putInt(n.length).put(n).putInt(queries.length);
        for (String q : queries) {
            b.putInt(q.length()).put(q.getBytes(StandardCharsets.UTF_8));
        }
        return b.array();
    }

    /** Negotiates (optionally) structured replies and base:allocation, then NBD_OPT_GO; returns the export size. */
    long go(String name, boolean structured, boolean allocation) throws IOException {
        if (structured) {
            option(NbdProtocol.OPT_STRUCTURED_REPLY, new byte[0]);
            assertThat(optionReply().type()).isEqualTo(NbdProtocol.REP_ACK);
        }
        if (allocation) {
            option(NbdProtocol.OPT_SET_META_CONTEXT, metaQuery(name, NbdProtocol.BASE_ALLOCATION));
            OptionReply r = optionReply();
            assertThat(r.type()).isEqualTo(NbdProtocol.REP_META_CONTEXT);
            assertThat(optionReply().type()).isEqualTo(NbdProtocol.REP_ACK);
        }
        option(NbdProtocol.OPT_GO, nameAndRequests(name));
        long size = -1;
        while (true) {
            OptionReply r = optionReply();
            if (r.type() == NbdProtocol.REP_ACK) {
                return size;
            }
            assertThat(r.type()).as("GO reply: %s", r.text()).isEqualTo(NbdProtocol.REP_INFO);
            ByteBuffer d = ByteBuffer.wrap(r.data());
            if (d.getShort() == NbdProtocol.INFO_EXPORT) {
                size = d.getLong();
            }
        }
    }

    void request(int type, int flags, long cookie, long offset, long length, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(28 + (payload == null ? 0 : payload.length));
        b.putInt(NbdProtocol.REQUEST_MAGIC).putShort((short) flags).putShort((short) type).putLong(cookie)
                .putLong(offset).putInt((int) length);
        if (payload != null) {
            b.put(payload);
        }
        write(b.flip());
    }

    /** Reads one reply; for a simple read reply with no error, {@code readLength} bytes of data follow. */
    Reply reply(int readLength) throws IOException {
        ByteBuffer m = read(4);
        int magic = m.getInt();
        if (magic == NbdProtocol.SIMPLE_REPLY_MAGIC) {
            ByteBuffer h = read(12);
            int error = h.getInt();
            long cookie = h.getLong();
            byte[] d = new byte[error == 0 ? readLength : 0];
            read(d.length).get(d);
            return new Reply(false, 0, 0, error, cookie, d);
        }
        assertThat(magic).isEqualTo(NbdProtocol.STRUCTURED_REPLY_MAGIC);
        ByteBuffer h = read(16);
        int flags = h.getShort() & 0xffff;
        int type = h.getShort() & 0xffff;
        long cookie = h.getLong();
        int len = h.getInt();
        assertThat(len).isBetween(0, (32 << 20) + 8);
        byte[] d = new byte[len];
        read(len).get(d);
        int error = (type & 0x8000) != 0 ? ByteBuffer.wrap(d).getInt() : 0;
        return new Reply(true, flags, type, error, cookie, d);
    }

    void write(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    ByteBuffer read(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException("server closed the connection");
            }
        }
        return b.flip();
    }

    /** @return true if the server closed the connection (reads end of stream) within the socket's lifetime. */
    boolean closedByServer() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        try {
            while (true) {
                b.clear();
                if (ch.read(b) < 0) {
                    return true;
                }
            }
        } catch (IOException e) {
            return true; // reset
        }
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    /**
     * Connects, reads the server's greeting, sends {@code bytes} as the client's whole stream and ends it.
     *
     * @return whether the server closed the connection within {@code seconds} (a server may close before taking
     *         every byte: that is an allowed answer)
     */
    static boolean sendAndAwaitClose(SocketAddress address, byte[] bytes, int seconds) throws Exception {
        try (RawClient c = new RawClient(address)) {
            c.read(18);
            java.util.concurrent.CompletableFuture<Boolean> closed = java.util.concurrent.CompletableFuture
                    .supplyAsync(() -> {
                        try {
                            return c.closedByServer();
                        } catch (IOException e) {
                            return true;
                        }
                    });
            try {
                c.write(ByteBuffer.wrap(bytes));
                c.ch.shutdownOutput();
            } catch (IOException e) {
                // the server closed first
            }
            try {
                return closed.get(seconds, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                return false;
            }
        }
    }

    /** A well-behaved client: structured replies, GO on {@code export}, one READ; its data and cookie. */
    static Reply readOnce(SocketAddress address, String export, long cookie, long offset, int length)
            throws IOException {
        try (RawClient c = new RawClient(address).greet()) {
            c.go(export, true, false);
            c.request(NbdProtocol.CMD_READ, 0, cookie, offset, length, null);
            return c.reply(0);
        }
    }
}
