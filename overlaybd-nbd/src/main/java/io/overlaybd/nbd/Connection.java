package io.overlaybd.nbd;

import static io.overlaybd.nbd.NbdProtocol.*;

import io.overlaybd.core.RandomAccessBlockDevice;
import io.overlaybd.lsmt.SegmentIndex;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One client connection: the handshake and the request decoder run on its reader thread, requests on the server's
 * workers, replies on its writer thread. Fields set during the handshake are written by the reader thread before any
 * request is handed to a worker (the executor hand-off orders them) and not changed afterwards.
 */
final class Connection {
    /** Thrown when the client broke the protocol: the connection is closed. */
    static final class ProtocolException extends IOException {
        ProtocolException(String message) {
            super(message);
        }
    }

    private static final Request END = new Request(null);

    private final NbdServer server;
    private final SocketChannel ch;
    private final String name;
    private final long acceptedNanos = System.nanoTime();
    private final Semaphore slots;
    private final Semaphore budget = new Semaphore(NbdServer.BUDGET_BYTES);
    // array-backed: at most maxInFlight requests exist per connection (each holds a slot), so neither fills up and
    // handing a request on allocates nothing
    private final ArrayBlockingQueue<Request> replies;
    private final ArrayBlockingQueue<Request> pool;
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread reader;
    private final Thread writer;
    private volatile boolean handshakeDone;
    private volatile long writeStartedNanos;
    private volatile boolean dead;

    // handshake state (reader thread; then read-only)
    private boolean structured;
    private boolean noZeroes;
    private boolean askedBlockSize;
    private NbdExport metaExport;
    private boolean metaAllocation;
    private NbdExport export;
    private RandomAccessBlockDevice device;
    private long size;
    private boolean writable;

    Connection(NbdServer server, SocketChannel ch, int id) {
        this.server = server;
        this.ch = ch;
        String peer;
        try {
            peer = String.valueOf(ch.getRemoteAddress());
        } catch (IOException e) {
            peer = "?";
        }
        this.name = "nbd connection " + id + " (" + (peer.isEmpty() ? "unix" : peer) + ")";
        this.slots = new Semaphore(server.maxInFlight());
        this.replies = new ArrayBlockingQueue<>(server.maxInFlight() + 1);
        this.pool = new ArrayBlockingQueue<>(server.maxInFlight());
        this.reader = NbdServer.daemon(this::readLoop, name + " reader");
        this.writer = NbdServer.daemon(this::writeLoop, name + " writer");
    }

    void start() {
        reader.start();
    }

    // ---------------------------------------------------------------- lifecycle

    /** Stops reading new requests (graceful stop): the reader sees end of stream. */
    void stopReading() {
        try {
            ch.shutdownInput();
        } catch (IOException e) {
            abort("cannot stop reading: " + e.getMessage());
        }
    }

    /** Closes the socket at once: blocked reads and writes fail, requests in flight are dropped. */
    void abort(String why) {
        if (!dead) {
            dead = true;
            server.log(name + ": closed: " + why);
        }
        NbdServer.closeQuietly(ch);
    }

    boolean awaitClosed(long nanos) throws InterruptedException {
        return closed.await(nanos, TimeUnit.NANOSECONDS);
    }

    void checkStall(long now, long handshakeTimeout, long writeTimeout) {
        if (!handshakeDone && now - acceptedNanos > handshakeTimeout) {
            abort("handshake not finished in time");
        }
        long w = writeStartedNanos;
        if (w != 0 && now - w > writeTimeout) {
            abort("client does not read its replies");
        }
    }

    private void readLoop() {
        try {
            server.log(name + ": connected");
            if (handshake()) {
                handshakeDone = true;
                writer.start();
                transmission();
            }
        } catch (ProtocolException e) {
            abort("protocol error: " + e.getMessage());
        } catch (EOFException e) {
            server.log(name + ": client went away" + (handshakeDone ? "" : " during the handshake"));
        } catch (IOException e) {
            if (!dead && !server.isClosing()) {
                server.log(name + ": " + e.getMessage());
            }
        } catch (RuntimeException | Error e) {
            abort("internal error: " + e);
        } finally {
            finish();
        }
    }

    private void finish() {
        if (writer.isAlive() || handshakeDone) {
            // answer what is in flight, then stop the writer
            slots.acquireUninterruptibly(server.maxInFlight());
            replies.add(END);
            try {
                writer.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        NbdServer.closeQuietly(ch);
        server.log(name + ": disconnected");
        server.removed(this);
        closed.countDown();
    }

    // ---------------------------------------------------------------- I/O helpers

    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException();
            }
        }
        b.flip();
    }

    /** Reads and throws away {@code n} bytes through a small buffer. */
    private void skip(long n, ByteBuffer scratch) throws IOException {
        long left = n;
        while (left > 0) {
            scratch.clear().limit((int) Math.min(scratch.capacity(), left));
            readFully(scratch);
            left -= scratch.limit();
        }
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static String utf8(ByteBuffer b, int n, String what) throws ProtocolException {
        ByteBuffer s = b.slice(b.position(), n);
        b.position(b.position() + n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(s).toString();
        } catch (CharacterCodingException e) {
            throw new ProtocolException(what + " is not UTF-8");
        }
    }

    // ---------------------------------------------------------------- handshake

    /** Option data that cannot be parsed: answered NBD_REP_ERR_INVALID, and the handshake goes on. */
    private static final class InvalidOption extends Exception {
        InvalidOption(String message) {
            super(message, null, false, false);
        }
    }

    /** @return true to enter transmission, false to close (abort, or an unknown export for EXPORT_NAME) */
    private boolean handshake() throws IOException {
        ByteBuffer hello = ByteBuffer.allocate(18);
        hello.putLong(NBDMAGIC).putLong(IHAVEOPT).putShort((short) (FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES)).flip();
        writeFully(hello);
        ByteBuffer flags = ByteBuffer.allocate(4);
        readFully(flags);
        int clientFlags = flags.getInt();
        if ((clientFlags & ~(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)) != 0) {
            throw new ProtocolException(String.format("unknown client flags 0x%08x at byte 18", clientFlags));
        }
        noZeroes = (clientFlags & FLAG_C_NO_ZEROES) != 0;
        ByteBuffer header = ByteBuffer.allocate(16);
        ByteBuffer data = ByteBuffer.allocate(MAX_OPTION_DATA);
        ByteBuffer reply = ByteBuffer.allocate(MAX_STRING + 64);
        long position = 22;
        for (int count = 0; ; count++) {
            if (count >= MAX_OPTIONS) {
                throw new ProtocolException("more than " + MAX_OPTIONS + " options");
            }
            header.clear();
            readFully(header);
            long magic = header.getLong();
            int option = header.getInt();
            long length = header.getInt() & 0xffffffffL;
            if (magic != IHAVEOPT) {
                throw new ProtocolException(String.format("bad option magic 0x%016x at byte %d, expected 0x%016x",
                        magic, position, IHAVEOPT));
            }
            if (length > MAX_OPTION_DATA) {
                throw new ProtocolException("option " + option + " at byte " + position + " has " + length
                        + " bytes of data, more than the " + MAX_OPTION_DATA + " this server accepts");
            }
            data.clear().limit((int) length);
            readFully(data);
            position += 16 + length;
            if (server.isClosing() && option != OPT_ABORT) {
                optionReply(reply, option, REP_ERR_SHUTDOWN, "server is shutting down");
                continue;
            }
            try {
                Boolean outcome = option(option, data, reply);
                if (outcome != null) {
                    return outcome;
                }
            } catch (InvalidOption e) {
                optionReply(reply, option, REP_ERR_INVALID, e.getMessage());
            }
        }
    }

    /** @return null to continue with the next option, true to enter transmission, false to close */
    private Boolean option(int option, ByteBuffer data, ByteBuffer reply) throws IOException, InvalidOption {
        switch (option) {
            case OPT_EXPORT_NAME: {
                String n = utf8(data, data.remaining(), "export name");
                NbdExport e = server.find(n);
                if (e == null) {
                    server.log(name + ": no export named '" + n + "' (NBD_OPT_EXPORT_NAME): closing");
                    return false;
                }
                select(e, n);
                ByteBuffer b = ByteBuffer.allocate(noZeroes ? 10 : 134);
                b.putLong(size).putShort((short) transmissionFlags()).position(b.capacity()).flip();
                writeFully(b);
                return true;
            }
            case OPT_ABORT:
                optionReply(reply, option, REP_ACK, null);
                return false;
            case OPT_LIST:
                if (data.hasRemaining()) {
                    throw new InvalidOption("NBD_OPT_LIST takes no data");
                }
                for (NbdExport e : server.exports()) {
                    byte[] n = e.name().getBytes(StandardCharsets.UTF_8);
                    reply.clear();
                    reply.putLong(OPTION_REPLY_MAGIC).putInt(option).putInt(REP_SERVER).putInt(4 + n.length)
                            .putInt(n.length).put(n).flip();
                    writeFully(reply);
                }
                optionReply(reply, option, REP_ACK, null);
                return null;
            case OPT_STARTTLS:
                optionReply(reply, option, REP_ERR_POLICY, "TLS is not supported by this server");
                return null;
            case OPT_STRUCTURED_REPLY:
                if (data.hasRemaining()) {
                    throw new InvalidOption("NBD_OPT_STRUCTURED_REPLY takes no data");
                }
                structured = true;
                optionReply(reply, option, REP_ACK, null);
                return null;
            case OPT_INFO:
            case OPT_GO:
                return infoOrGo(option, data, reply);
            case OPT_LIST_META_CONTEXT:
            case OPT_SET_META_CONTEXT:
                metaContext(option, data, reply);
                return null;
            default:
                optionReply(reply, option, REP_ERR_UNSUP, "option " + option + " is not supported");
                return null;
        }
    }

    private Boolean infoOrGo(int option, ByteBuffer data, ByteBuffer reply) throws IOException, InvalidOption {
        String what = option == OPT_GO ? "NBD_OPT_GO" : "NBD_OPT_INFO";
        if (data.remaining() < 6) {
            throw new InvalidOption(what + " data of " + data.remaining() + " bytes is shorter than 6");
        }
        long nameLength = data.getInt() & 0xffffffffL;
        if (nameLength > data.remaining() - 2) {
            throw new InvalidOption(what + ": name length " + nameLength + " leaves the option data");
        }
        String n = utf8(data, (int) nameLength, "export name");
        int requests = data.getShort() & 0xffff;
        if (data.remaining() != 2L * requests) {
            throw new InvalidOption(what + ": " + requests + " information requests need " + 2 * requests
                    + " bytes, " + data.remaining() + " are left");
        }
        boolean wantName = false;
        boolean wantDescription = false;
        boolean wantBlockSize = false;
        for (int i = 0; i < requests; i++) {
            int t = data.getShort() & 0xffff;
            wantName |= t == INFO_NAME;
            wantDescription |= t == INFO_DESCRIPTION;
            wantBlockSize |= t == INFO_BLOCK_SIZE;
        }
        NbdExport e = server.find(n);
        if (e == null) {
            optionReply(reply, option, REP_ERR_UNKNOWN, "no export named '" + n + "'");
            return null;
        }
        select(e, n);
        askedBlockSize |= wantBlockSize;
        reply.clear();
        reply.putLong(OPTION_REPLY_MAGIC).putInt(option).putInt(REP_INFO).putInt(12).putShort((short) INFO_EXPORT)
                .putLong(size).putShort((short) transmissionFlags()).flip();
        writeFully(reply);
        if (wantName) {
            infoString(reply, option, INFO_NAME, e.name());
        }
        if (wantDescription) {
            infoString(reply, option, INFO_DESCRIPTION, e.description());
        }
        if (wantBlockSize) {
            reply.clear();
            reply.putLong(OPTION_REPLY_MAGIC).putInt(option).putInt(REP_INFO).putInt(14)
                    .putShort((short) INFO_BLOCK_SIZE).putInt(minimumBlock()).putInt(PREFERRED_BLOCK)
                    .putInt(MAX_PAYLOAD).flip();
            writeFully(reply);
        }
        optionReply(reply, option, REP_ACK, null);
        if (option == OPT_GO) {
            if (metaExport != e) {
                metaAllocation = false; // the contexts were selected for another export
            }
            return true;
        }
        return null;
    }

    private void infoString(ByteBuffer reply, int option, int type, String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        reply.clear();
        reply.putLong(OPTION_REPLY_MAGIC).putInt(option).putInt(REP_INFO).putInt(2 + b.length).putShort((short) type)
                .put(b).flip();
        writeFully(reply);
    }

    private void metaContext(int option, ByteBuffer data, ByteBuffer reply) throws IOException, InvalidOption {
        boolean set = option == OPT_SET_META_CONTEXT;
        String what = set ? "NBD_OPT_SET_META_CONTEXT" : "NBD_OPT_LIST_META_CONTEXT";
        if (set) {
            metaAllocation = false; // replaced even when this option fails
            metaExport = null;
            if (!structured) {
                throw new InvalidOption(what + " needs NBD_OPT_STRUCTURED_REPLY first");
            }
        }
        if (data.remaining() < 8) {
            throw new InvalidOption(what + " data of " + data.remaining() + " bytes is shorter than 8");
        }
        long nameLength = data.getInt() & 0xffffffffL;
        if (nameLength > data.remaining() - 4) {
            throw new InvalidOption(what + ": name length " + nameLength + " leaves the option data");
        }
        String n = utf8(data, (int) nameLength, "export name");
        long queries = data.getInt() & 0xffffffffL;
        if (queries > data.remaining() / 4) {
            throw new InvalidOption(what + ": " + queries + " queries cannot fit in " + data.remaining() + " bytes");
        }
        boolean match = !set && queries == 0;
        for (long i = 0; i < queries; i++) {
            if (data.remaining() < 4) {
                throw new InvalidOption(what + ": query " + i + " leaves the option data");
            }
            long ql = data.getInt() & 0xffffffffL;
            if (ql > data.remaining() || ql > MAX_STRING) {
                throw new InvalidOption(what + ": query " + i + " of " + ql + " bytes leaves the option data");
            }
            String q = utf8(data, (int) ql, "query");
            if (q.indexOf(':') < 0) {
                throw new InvalidOption(what + ": query '" + q + "' has no namespace");
            }
            match |= q.equals(BASE_ALLOCATION) || (!set && q.equals("base:"));
        }
        NbdExport e = server.find(n);
        if (e == null) {
            optionReply(reply, option, REP_ERR_UNKNOWN, "no export named '" + n + "'");
            return;
        }
        if (match) {
            byte[] b = BASE_ALLOCATION.getBytes(StandardCharsets.US_ASCII);
            reply.clear();
            reply.putLong(OPTION_REPLY_MAGIC).putInt(option).putInt(REP_META_CONTEXT).putInt(4 + b.length)
                    .putInt(set ? META_CONTEXT_ID : 0).put(b).flip();
            writeFully(reply);
        }
        if (set) {
            metaAllocation = match;
            metaExport = e;
        }
        optionReply(reply, option, REP_ACK, null);
    }

    private void optionReply(ByteBuffer reply, int option, int type, String message) throws IOException {
        byte[] m = message == null ? new byte[0] : truncate(message);
        reply.clear();
        reply.putLong(OPTION_REPLY_MAGIC).putInt(option).putInt(type).putInt(m.length).put(m).flip();
        writeFully(reply);
        if (type < 0) {
            server.log(name + ": option " + option + ": " + message);
        }
    }

    private static byte[] truncate(String message) {
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        if (m.length <= 1024) {
            return m;
        }
        return java.util.Arrays.copyOf(m, 1024);
    }

    private void select(NbdExport e, String requested) {
        export = e;
        device = e.device();
        size = e.size();
        writable = e.isWritable();
    }

    private int minimumBlock() {
        return writable || size % MIN_BLOCK == 0 ? MIN_BLOCK : 1;
    }

    private int transmissionFlags() {
        int f = TF_HAS_FLAGS | TF_CAN_MULTI_CONN;
        if (structured) {
            f |= TF_SEND_DF;
        }
        if (writable) {
            f |= TF_SEND_FLUSH | TF_SEND_FUA | TF_SEND_TRIM | TF_SEND_WRITE_ZEROES;
        } else {
            f |= TF_READ_ONLY;
        }
        return f;
    }

    // ---------------------------------------------------------------- transmission: reader

    private void transmission() throws IOException {
        ByteBuffer header = ByteBuffer.allocate(REQUEST_SIZE);
        ByteBuffer scratch = ByteBuffer.allocate(64 << 10);
        long position = 0;
        while (true) {
            header.clear();
            try {
                readFully(header);
            } catch (EOFException e) {
                if (header.position() == 0) {
                    server.log(name + ": client closed the connection without NBD_CMD_DISC");
                    return;
                }
                throw new ProtocolException("request cut short at byte " + (position + header.position())
                        + " of the transmission phase");
            }
            int magic = header.getInt();
            if (magic != REQUEST_MAGIC) {
                throw new ProtocolException(String.format("bad request magic 0x%08x at byte %d of the transmission "
                        + "phase, expected 0x%08x", magic, position, REQUEST_MAGIC));
            }
            int flags = header.getShort() & 0xffff;
            int type = header.getShort() & 0xffff;
            long cookie = header.getLong();
            long offset = header.getLong();
            long length = header.getInt() & 0xffffffffL;
            position += REQUEST_SIZE;
            if (type == CMD_DISC) {
                server.log(name + ": NBD_CMD_DISC");
                return;
            }
            boolean payloadIn = type == CMD_WRITE;
            boolean payloadOut = type == CMD_READ;
            int bytes = (payloadIn || payloadOut) && length <= MAX_PAYLOAD ? (int) length : 0;
            slots.acquireUninterruptibly();
            budget.acquireUninterruptibly(bytes);
            Request r = pool.poll();
            if (r == null) {
                r = new Request(this);
            }
            r.flags = flags;
            r.type = type;
            r.cookie = cookie;
            r.offset = offset;
            r.length = length;
            r.budget = bytes;
            if (payloadIn) {
                // the request holds a slot and budget: give them back if the payload never comes
                try {
                    if (length > MAX_PAYLOAD) {
                        skip(length, scratch);
                        position += length;
                        error(r, EOVERFLOW, "write of " + length + " bytes is above the maximum payload "
                                + MAX_PAYLOAD);
                        replies.add(r);
                        continue;
                    }
                    readFully(ByteBuffer.wrap(r.data((int) length), 0, (int) length));
                } catch (EOFException e) {
                    release(r);
                    throw new ProtocolException("write payload cut short at byte " + position + " of the "
                            + "transmission phase");
                } catch (IOException | RuntimeException | Error e) {
                    release(r);
                    throw e;
                }
                position += length;
            }
            try {
                server.workers.execute(r);
            } catch (RejectedExecutionException e) {
                error(r, ESHUTDOWN, "server is shutting down");
                replies.add(r);
            }
        }
    }

    // ---------------------------------------------------------------- transmission: writer

    private void writeLoop() {
        while (true) {
            Request r;
            try {
                r = replies.take();
            } catch (InterruptedException e) {
                continue;
            }
            if (r == END) {
                return;
            }
            if (!dead) {
                writeStartedNanos = System.nanoTime() | 1;
                try {
                    ByteBuffer[] segs = r.segments;
                    int n = r.segmentCount;
                    long left = 0;
                    for (int i = 0; i < n; i++) {
                        left += segs[i].remaining();
                    }
                    while (left > 0) {
                        left -= ch.write(segs, 0, n);
                    }
                } catch (IOException e) {
                    abort("cannot send a reply: " + e.getMessage());
                } finally {
                    writeStartedNanos = 0;
                }
            }
            release(r);
        }
    }

    private void release(Request r) {
        int b = r.budget;
        r.budget = 0;
        r.recycle();
        pool.offer(r);
        budget.release(b);
        slots.release();
    }

    // ---------------------------------------------------------------- transmission: workers

    void process(Request r) {
        try {
            switch (r.type) {
                case CMD_READ:
                    read(r);
                    break;
                case CMD_WRITE:
                    write(r);
                    break;
                case CMD_FLUSH:
                    if (writable) {
                        export.writer().flush();
                    }
                    ok(r);
                    break;
                case CMD_TRIM:
                    trim(r);
                    break;
                case CMD_WRITE_ZEROES:
                    writeZeroes(r);
                    break;
                case CMD_BLOCK_STATUS:
                    blockStatus(r);
                    break;
                case CMD_CACHE:
                    if (checkRange(r, EINVAL)) {
                        ok(r);
                    }
                    break;
                default:
                    error(r, EINVAL, "unknown command " + r.type);
            }
        } catch (IOException e) {
            error(r, EIO, e.getMessage() == null ? e.toString() : e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error(r, ESHUTDOWN, "interrupted");
        } catch (RuntimeException | OutOfMemoryError e) {
            server.log(name + ": request failed: " + e);
            error(r, e instanceof OutOfMemoryError ? ENOMEM : EIO, e.toString());
        }
        replies.add(r);
    }

    /** @return false (after setting the error reply) if the request leaves the export. */
    private boolean checkRange(Request r, int errno) {
        if (r.offset < 0 || r.offset > size || r.length > size - r.offset) {
            error(r, errno, "range [" + Long.toUnsignedString(r.offset) + ", +" + r.length + ") leaves the export of "
                    + size + " bytes");
            return false;
        }
        return true;
    }

    private boolean checkFlags(Request r, int allowed) {
        if ((r.flags & ~(allowed | CMD_FLAG_FUA)) != 0) {
            error(r, EINVAL, String.format("flags 0x%04x not valid for command %d", r.flags, r.type));
            return false;
        }
        return true;
    }

    private void read(Request r) throws IOException {
        if (!checkFlags(r, structured ? CMD_FLAG_DF : 0)) {
            return;
        }
        if (r.length > MAX_PAYLOAD) {
            error(r, EOVERFLOW, "read of " + r.length + " bytes is above the maximum payload " + MAX_PAYLOAD);
            return;
        }
        if (!checkRange(r, EINVAL)) {
            return;
        }
        int len = (int) r.length;
        if (!structured) {
            byte[] d = r.data(len);
            device.readFully(r.offset, d, 0, len);
            simpleHeader(r, 0);
            r.segments[1] = r.dataBuffer(len);
            r.segmentCount = 2;
            return;
        }
        if (len == 0) {
            structuredHeader(r, REPLY_FLAG_DONE, REPLY_TYPE_NONE, 0);
            finishMeta(r);
            return;
        }
        NbdExport.Allocation alloc = export.allocation();
        if (alloc != null && !writable && (r.flags & CMD_FLAG_DF) == 0 && len >= 2 * MIN_BLOCK) {
            long s0 = r.offset >>> 9;
            long s1 = (r.offset + len + 511) >>> 9;
            r.startRuns(s0, Request.MAX_READ_RUNS, true);
            alloc.index().lookup(s0, s1 - s0, r);
            r.finishRuns(s1);
            if (!r.runsTruncated && r.runCount > 1) {
                readRuns(r, len);
                return;
            }
            if (r.runCount == 1 && r.runKind[0] != Request.KIND_DATA) {
                ByteBuffer m = r.meta.clear();
                m.putInt(STRUCTURED_REPLY_MAGIC).putShort((short) REPLY_FLAG_DONE)
                        .putShort((short) REPLY_TYPE_OFFSET_HOLE).putLong(r.cookie).putInt(12).putLong(r.offset)
                        .putInt(len);
                finishMeta(r);
                return;
            }
        }
        byte[] d = r.data(len);
        device.readFully(r.offset, d, 0, len);
        ByteBuffer m = r.meta.clear();
        m.putInt(STRUCTURED_REPLY_MAGIC).putShort((short) REPLY_FLAG_DONE).putShort((short) REPLY_TYPE_OFFSET_DATA)
                .putLong(r.cookie).putInt(8 + len).putLong(r.offset);
        m.flip();
        r.segments[0] = m;
        r.segments[1] = r.dataBuffer(len);
        r.segmentCount = 2;
    }

    /** A structured read of several data and hole runs: one chunk each, the last one marked done. */
    private void readRuns(Request r, int len) throws IOException {
        long start = r.offset;
        long end = r.offset + len;
        byte[] d = r.data(len);
        int n = r.runCount;
        for (int i = 0; i < n; i++) {
            long a = Math.max(r.runStart[i] << 9, start);
            long b = Math.min(r.runEnd[i] << 9, end);
            if (r.runKind[i] == Request.KIND_DATA) {
                device.readFully(a, d, (int) (a - start), (int) (b - a));
            }
        }
        ByteBuffer m = r.meta.clear();
        int segs = 0;
        for (int i = 0; i < n; i++) {
            long a = Math.max(r.runStart[i] << 9, start);
            long b = Math.min(r.runEnd[i] << 9, end);
            int flags = i == n - 1 ? REPLY_FLAG_DONE : 0;
            int at = m.position();
            if (r.runKind[i] == Request.KIND_DATA) {
                m.putInt(STRUCTURED_REPLY_MAGIC).putShort((short) flags).putShort((short) REPLY_TYPE_OFFSET_DATA)
                        .putLong(r.cookie).putInt((int) (8 + b - a)).putLong(a);
                r.segments[segs++] = m.duplicate().position(at).limit(m.position());
                r.segments[segs++] = ByteBuffer.wrap(d, (int) (a - start), (int) (b - a));
            } else {
                m.putInt(STRUCTURED_REPLY_MAGIC).putShort((short) flags).putShort((short) REPLY_TYPE_OFFSET_HOLE)
                        .putLong(r.cookie).putInt(12).putLong(a).putInt((int) (b - a));
                r.segments[segs++] = m.duplicate().position(at).limit(m.position());
            }
        }
        r.segmentCount = segs;
    }

    private void write(Request r) throws IOException, InterruptedException {
        if (!checkFlags(r, 0) || !checkWritable(r) || !checkRange(r, ENOSPC)) {
            return;
        }
        int len = (int) r.length;
        if (len > 0) {
            modify(r, r.data, len, false);
        }
        fua(r);
        ok(r);
    }

    private void writeZeroes(Request r) throws IOException, InterruptedException {
        if (!checkFlags(r, CMD_FLAG_NO_HOLE) || !checkWritable(r) || !checkRange(r, ENOSPC)) {
            return;
        }
        if (r.length > 0) {
            modify(r, null, r.length, true);
        }
        fua(r);
        ok(r);
    }

    private void trim(Request r) throws IOException, InterruptedException {
        if (!checkFlags(r, 0) || !checkWritable(r) || !checkRange(r, EINVAL)) {
            return;
        }
        // only whole sectors can be discarded: round inwards (proto.md allows a partial trim)
        long s = (r.offset + 511) & ~511L;
        long e = (r.offset + r.length) & ~511L;
        if (e > s) {
            RangeLock lock = export.writeLock();
            long[] held = lock.lock(s, e);
            try {
                export.writer().discard(s, e - s);
            } finally {
                lock.unlock(held);
            }
        }
        fua(r);
        ok(r);
    }

    private boolean checkWritable(Request r) {
        if (!writable) {
            error(r, EPERM, "export '" + export.name() + "' is read-only");
            return false;
        }
        return true;
    }

    private void fua(Request r) throws IOException {
        if ((r.flags & CMD_FLAG_FUA) != 0) {
            export.writer().flush();
        }
    }

    /**
     * Writes {@code src[0, length)} (or zeros when {@code zeroes}) at {@code r.offset}: whole sectors directly (zeros
     * as a discard), a partial first or last sector by reading it, patching it and writing it back, all under a lock
     * on the sectors touched so that no overlapping write interleaves.
     */
    private void modify(Request r, byte[] src, long length, boolean zeroes) throws IOException,
            InterruptedException {
        NbdExport.Writer w = export.writer();
        long start = r.offset;
        long end = start + length;
        long a = start & ~511L;
        long b = (end + 511) & ~511L;
        RangeLock lock = export.writeLock();
        long[] held = lock.lock(a, b);
        try {
            long midStart = (start + 511) & ~511L;
            long midEnd = end & ~511L;
            byte[] sector = r.sector;
            if (start != a) {
                device.readFully(a, sector, 0, 512);
                int from = (int) (start - a);
                int n = (int) Math.min(512 - from, length);
                patch(sector, from, src, 0, n, zeroes);
                w.write(a, sector, 0, 512);
            }
            if (midEnd > midStart) {
                if (zeroes) {
                    w.discard(midStart, midEnd - midStart);
                } else {
                    w.write(midStart, src, (int) (midStart - start), (int) (midEnd - midStart));
                }
            }
            boolean tailPartial = (end & 511) != 0;
            boolean tailIsHead = start != a && b - 512 == a;
            if (tailPartial && !tailIsHead) {
                long t = b - 512;
                device.readFully(t, sector, 0, 512);
                patch(sector, 0, src, (int) (t - start), (int) (end - t), zeroes);
                w.write(t, sector, 0, 512);
            }
        } finally {
            lock.unlock(held);
        }
    }

    private static void patch(byte[] sector, int at, byte[] src, int srcOffset, int n, boolean zeroes) {
        if (zeroes) {
            java.util.Arrays.fill(sector, at, at + n, (byte) 0);
        } else {
            System.arraycopy(src, srcOffset, sector, at, n);
        }
    }

    private void blockStatus(Request r) {
        if (!structured || !metaAllocation) {
            error(r, EINVAL, "NBD_CMD_BLOCK_STATUS needs base:allocation selected with NBD_OPT_SET_META_CONTEXT");
            return;
        }
        if (!checkFlags(r, CMD_FLAG_REQ_ONE) || !checkRange(r, EINVAL)) {
            return;
        }
        if (r.length == 0) {
            error(r, EINVAL, "block status of 0 bytes");
            return;
        }
        long start = r.offset;
        long end = start + r.length;
        boolean one = (r.flags & CMD_FLAG_REQ_ONE) != 0;
        NbdExport.Allocation alloc = export.allocation();
        int n;
        if (alloc == null) {
            r.runStart[0] = start;
            r.runEnd[0] = end;
            r.runKind[0] = Request.KIND_DATA;
            n = 1;
        } else {
            long s0 = start >>> 9;
            long s1 = (end + 511) >>> 9;
            r.startRuns(s0, one ? 1 : Request.MAX_RUNS, false);
            SegmentIndex index = alloc.index();
            index.lookup(s0, s1 - s0, r);
            r.finishRuns(s1);
            n = r.runCount;
            for (int i = 0; i < n; i++) {
                r.runStart[i] = Math.max(r.runStart[i] << 9, start);
                r.runEnd[i] = Math.min(r.runEnd[i] << 9, end);
            }
        }
        ByteBuffer m = r.meta.clear();
        m.putInt(STRUCTURED_REPLY_MAGIC).putShort((short) REPLY_FLAG_DONE).putShort((short) REPLY_TYPE_BLOCK_STATUS)
                .putLong(r.cookie).putInt(4 + 8 * n).putInt(META_CONTEXT_ID);
        for (int i = 0; i < n; i++) {
            int kind = r.runKind[i];
            int state = kind == Request.KIND_HOLE ? STATE_HOLE | STATE_ZERO
                    : kind == Request.KIND_ZEROED ? STATE_ZERO : 0;
            m.putInt((int) (r.runEnd[i] - r.runStart[i])).putInt(state);
        }
        finishMeta(r);
    }

    // ---------------------------------------------------------------- reply encoding

    private void ok(Request r) {
        simpleHeader(r, 0);
        r.segmentCount = 1;
    }

    private void simpleHeader(Request r, int error) {
        ByteBuffer m = r.meta.clear();
        m.putInt(SIMPLE_REPLY_MAGIC).putInt(error).putLong(r.cookie).flip();
        r.segments[0] = m;
    }

    private void structuredHeader(Request r, int flags, int type, int length) {
        r.meta.clear().putInt(STRUCTURED_REPLY_MAGIC).putShort((short) flags).putShort((short) type)
                .putLong(r.cookie).putInt(length);
    }

    private static void finishMeta(Request r) {
        r.meta.flip();
        r.segments[0] = r.meta;
        r.segmentCount = 1;
    }

    /**
     * An error reply: a structured error chunk (with the message) for reads and block status once structured replies
     * are on, else a simple reply carrying only the error number.
     */
    void error(Request r, int errno, String message) {
        if (structured && (r.type == CMD_READ || r.type == CMD_BLOCK_STATUS)) {
            byte[] msg = truncate(message);
            structuredHeader(r, REPLY_FLAG_DONE, REPLY_TYPE_ERROR, 6 + msg.length);
            r.meta.putInt(errno).putShort((short) msg.length).put(msg);
            finishMeta(r);
        } else {
            simpleHeader(r, errno);
            r.segmentCount = 1;
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
