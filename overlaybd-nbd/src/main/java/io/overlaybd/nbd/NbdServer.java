package io.overlaybd.nbd;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An NBD server (NetworkBlockDevice/nbd {@code doc/proto.md}, fixed newstyle handshake) serving one or more
 * {@link NbdExport}s on a Unix socket or a TCP address.
 *
 * <p>Handshake: {@code NBD_OPT_EXPORT_NAME}, {@code INFO}/{@code GO} (with {@code NBD_INFO_EXPORT}, {@code NAME},
 * {@code DESCRIPTION}, {@code BLOCK_SIZE}: 512 / 4096 / 32 MiB), {@code LIST}, {@code ABORT},
 * {@code STRUCTURED_REPLY}, {@code LIST}/{@code SET_META_CONTEXT} with {@code base:allocation};
 * {@code STARTTLS} gets {@code NBD_REP_ERR_POLICY} and anything else {@code NBD_REP_ERR_UNSUP}. Transmission:
 * {@code READ} (structured replies with data and hole chunks once negotiated), {@code BLOCK_STATUS},
 * {@code DISC}, and on writable exports {@code WRITE}, {@code WRITE_ZEROES}, {@code TRIM}, {@code FLUSH} and
 * {@code FUA}. Unaligned writes are served by read-modify-write of their edge sectors, serialized against
 * overlapping writes.
 *
 * <p>Each connection has a reader thread (which decodes requests) and a writer thread (which sends replies); the
 * requests themselves run on a bounded pool of worker threads shared by all connections, so replies go out of
 * order, matched by cookie. A connection has at most {@link Builder#maxInFlight(int)} requests and 48 MiB of
 * payload in flight; when its client stops reading replies, only that connection stalls, and it is closed after
 * the write timeout. A client that breaks the protocol (bad magic, oversized option data, a truncated message) is
 * disconnected; bad requests get an error reply. No allocation is sized by a client's number before it has been
 * checked against these limits.
 *
 * <p>Thread-safety: all methods may be called from any thread. {@link #close()} stops gracefully: no new
 * connections, no new requests; requests in flight are answered, then writable exports are flushed.
 */
public final class NbdServer implements AutoCloseable {
    static final int BUDGET_BYTES = 48 << 20;

    private final Map<String, NbdExport> exports;
    private final NbdExport defaultExport;
    private final ServerSocketChannel listener;
    private final SocketAddress address;
    private final Path socketFile;
    private final int maxConnections;
    private final int maxInFlight;
    private final long handshakeTimeoutNanos;
    private final long writeTimeoutNanos;
    private final Consumer<String> log;
    final ExecutorService workers;
    private final ScheduledExecutorService watchdog;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final AtomicInteger connectionIds = new AtomicInteger();
    private final Thread acceptor;
    private final Object clientsMonitor = new Object();
    // guarded by clientsMonitor
    private int liveClients;
    // guarded by clientsMonitor
    private boolean hadClient;

    private NbdServer(Builder b, ServerSocketChannel listener, SocketAddress address) {
        this.exports = b.exports;
        this.defaultExport = b.exports.values().iterator().next();
        this.listener = listener;
        this.address = address;
        this.socketFile = address instanceof UnixDomainSocketAddress ? ((UnixDomainSocketAddress) address).getPath()
                : null;
        this.maxConnections = b.maxConnections;
        this.maxInFlight = b.maxInFlight;
        this.handshakeTimeoutNanos = b.handshakeTimeout.toNanos();
        this.writeTimeoutNanos = b.writeTimeout.toNanos();
        this.log = b.log;
        AtomicInteger n = new AtomicInteger();
        // every queued task holds a slot of its connection: the queue cannot overflow (and allocates nothing)
        this.workers = new ThreadPoolExecutor(b.workers, b.workers, 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(b.maxConnections * b.maxInFlight + 1),
                r -> daemon(r, "nbd-worker-" + n.incrementAndGet()));
        ScheduledThreadPoolExecutor w = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "nbd-watchdog"));
        w.setRemoveOnCancelPolicy(true);
        this.watchdog = w;
        watchdog.scheduleWithFixedDelay(this::checkStalls, 200, 200, TimeUnit.MILLISECONDS);
        this.acceptor = daemon(this::acceptLoop, "nbd-accept " + address);
    }

    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** @return a new builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Configures and starts a server. Not thread-safe. */
    public static final class Builder {
        private final Map<String, NbdExport> exports = new LinkedHashMap<>();
        private SocketAddress address;
        private int workers = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        private int maxConnections = 16;
        private int maxInFlight = 128;
        private Duration handshakeTimeout = Duration.ofSeconds(30);
        private Duration writeTimeout = Duration.ofSeconds(60);
        private Consumer<String> log = s -> { };

        private Builder() {
        }

        /**
         * Adds an export; the first one added is also the default export (the one a client gets when it asks for
         * the empty name, unless an export is named {@code ""}).
         *
         * @throws IllegalArgumentException if an export of that name was added already
         */
        public Builder export(NbdExport export) {
            Objects.requireNonNull(export, "export");
            if (exports.putIfAbsent(export.name(), export) != null) {
                throw new IllegalArgumentException("two exports named '" + export.name() + "'");
            }
            return this;
        }

        /** Listens on a Unix socket at {@code path}, which must not exist (it is removed again on close). */
        public Builder unixSocket(Path path) {
            this.address = UnixDomainSocketAddress.of(path);
            return this;
        }

        /** Listens on TCP {@code host:port} (port 0: any free port; see {@link NbdServer#address()}). */
        public Builder tcp(String host, int port) {
            this.address = new InetSocketAddress(host, port);
            return this;
        }

        /** Listens on {@code address}: a {@link UnixDomainSocketAddress} or an {@link InetSocketAddress}. */
        public Builder address(SocketAddress address) {
            if (!(address instanceof UnixDomainSocketAddress) && !(address instanceof InetSocketAddress)) {
                throw new IllegalArgumentException("not a Unix or TCP address: " + address);
            }
            this.address = address;
            return this;
        }

        /** Worker threads shared by all connections (default: twice the processors, at least 4). */
        public Builder workers(int n) {
            this.workers = positive(n, "workers");
            return this;
        }

        /** Connections served at once; more are closed as soon as they are accepted (default 16). */
        public Builder maxConnections(int n) {
            this.maxConnections = positive(n, "maxConnections");
            return this;
        }

        /** Requests in flight per connection before the server stops reading from it (default 128). */
        public Builder maxInFlight(int n) {
            this.maxInFlight = positive(n, "maxInFlight");
            return this;
        }

        /** Time a client has to finish its handshake before it is disconnected (default 30 s). */
        public Builder handshakeTimeout(Duration d) {
            this.handshakeTimeout = Objects.requireNonNull(d, "handshakeTimeout");
            return this;
        }

        /** Time one reply may take to be sent (a client that stops reading) before disconnecting (default 60 s). */
        public Builder writeTimeout(Duration d) {
            this.writeTimeout = Objects.requireNonNull(d, "writeTimeout");
            return this;
        }

        /** Receives one line per connection event and per client error (default: nothing). */
        public Builder log(Consumer<String> log) {
            this.log = Objects.requireNonNull(log, "log");
            return this;
        }

        private static int positive(int n, String what) {
            if (n <= 0) {
                throw new IllegalArgumentException(what + " must be positive: " + n);
            }
            return n;
        }

        /**
         * Binds and starts accepting connections (TCP default: {@code 127.0.0.1:10809}).
         *
         * @throws IllegalStateException if no export was added
         * @throws IOException           if the address cannot be bound (e.g. the socket file exists)
         */
        public NbdServer start() throws IOException {
            if (exports.isEmpty()) {
                throw new IllegalStateException("an NBD server needs at least one export");
            }
            SocketAddress a = address != null ? address : new InetSocketAddress("127.0.0.1", 10809);
            ServerSocketChannel ch = a instanceof UnixDomainSocketAddress
                    ? ServerSocketChannel.open(StandardProtocolFamily.UNIX) : ServerSocketChannel.open();
            try {
                ch.bind(a, 64);
            } catch (IOException e) {
                ch.close();
                throw new IOException("cannot listen on " + a + ": " + e.getMessage(), e);
            }
            NbdServer s = new NbdServer(this, ch, ch.getLocalAddress());
            s.acceptor.start();
            return s;
        }
    }

    /** @return the bound address (with the actual port when port 0 was asked for). */
    public SocketAddress address() {
        return address;
    }

    /**
     * @return the NBD URI of an export, e.g. {@code nbd+unix:///name?socket=/run/x.sock} or
     *         {@code nbd://127.0.0.1:10809/name}
     */
    public String uri(String exportName) {
        if (socketFile != null) {
            return "nbd+unix:///" + exportName + "?socket=" + socketFile;
        }
        InetSocketAddress a = (InetSocketAddress) address;
        String host = a.getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "nbd://" + host + ":" + a.getPort() + "/" + exportName;
    }

    /** @return the URI of the default export. */
    public String uri() {
        return uri(defaultExport.name());
    }

    /** @return the number of connections open now. */
    public int connectionCount() {
        return connections.size();
    }

    /**
     * Blocks until at least one client has connected and then every client has disconnected, or the server is
     * closed (for {@code overlaybd serve --once}).
     */
    public void awaitClientsGone() throws InterruptedException {
        synchronized (clientsMonitor) {
            while (!(hadClient && liveClients == 0) && !closing.get()) {
                clientsMonitor.wait();
            }
        }
    }

    /** Blocks until {@link #close()} has finished. */
    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    NbdExport find(String name) {
        NbdExport e = exports.get(name);
        if (e == null && name.isEmpty()) {
            return defaultExport;
        }
        return e;
    }

    List<NbdExport> exports() {
        return List.copyOf(exports.values());
    }

    int maxInFlight() {
        return maxInFlight;
    }

    boolean isClosing() {
        return closing.get();
    }

    void log(String message) {
        try {
            log.accept(message);
        } catch (RuntimeException e) {
            // a broken log sink must not break serving
        }
    }

    private void acceptLoop() {
        while (!closing.get()) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (ClosedChannelException e) {
                break;
            } catch (IOException e) {
                if (closing.get()) {
                    break;
                }
                log("accept failed: " + e.getMessage());
                continue;
            }
            if (closing.get() || connections.size() >= maxConnections) {
                log("connection refused: " + (closing.get() ? "shutting down" : maxConnections
                        + " connections open"));
                closeQuietly(ch);
                continue;
            }
            if (socketFile == null) {
                try {
                    // replies are small and many: do not let Nagle's algorithm hold them back
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                } catch (IOException e) {
                    log("cannot set TCP_NODELAY: " + e.getMessage());
                }
            }
            Connection c = new Connection(this, ch, connectionIds.incrementAndGet());
            connections.add(c);
            synchronized (clientsMonitor) {
                liveClients++;
                hadClient = true;
            }
            c.start();
        }
    }

    void removed(Connection c) {
        connections.remove(c);
        synchronized (clientsMonitor) {
            liveClients--;
            clientsMonitor.notifyAll();
        }
    }

    private void checkStalls() {
        long now = System.nanoTime();
        for (Connection c : connections) {
            c.checkStall(now, handshakeTimeoutNanos, writeTimeoutNanos);
        }
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // nothing more to do
        }
    }

    /**
     * Stops gracefully: stops accepting, stops reading requests, answers the requests in flight (waiting up to 10 s
     * for clients to take their replies), closes the connections, then flushes writable exports and removes the Unix
     * socket file. A second call waits for the first to finish.
     *
     * @throws IOException if flushing a writable export failed
     */
    @Override
    public void close() throws IOException {
        if (!closing.compareAndSet(false, true)) {
            try {
                terminated.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        synchronized (clientsMonitor) {
            clientsMonitor.notifyAll();
        }
        IOException failure = null;
        try {
            closeQuietly(listener);
            acceptor.join(5000);
            for (Connection c : connections) {
                c.stopReading();
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (Connection c : new ArrayList<>(connections)) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !c.awaitClosed(left)) {
                    c.abort("server stopping");
                }
            }
            for (Connection c : new ArrayList<>(connections)) {
                c.awaitClosed(TimeUnit.SECONDS.toNanos(5));
            }
            workers.shutdown();
            workers.awaitTermination(10, TimeUnit.SECONDS);
            watchdog.shutdownNow();
            for (NbdExport e : exports.values()) {
                if (e.isWritable()) {
                    try {
                        e.writer().flush();
                    } catch (IOException | RuntimeException ex) {
                        IOException io = new IOException("cannot flush " + e + ": " + ex.getMessage(), ex);
                        if (failure == null) {
                            failure = io;
                        } else {
                            failure.addSuppressed(io);
                        }
                    }
                }
            }
            if (socketFile != null) {
                Files.deleteIfExists(socketFile);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            terminated.countDown();
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "nbd-server(" + address + ", " + exports.size() + (exports.size() == 1 ? " export)" : " exports)");
    }
}
