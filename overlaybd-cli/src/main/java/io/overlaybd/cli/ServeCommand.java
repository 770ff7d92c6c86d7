package io.overlaybd.cli;

import io.overlaybd.image.Image;
import io.overlaybd.lsmt.LayerStack;
import io.overlaybd.lsmt.StackOptions;
import io.overlaybd.lsmt.WritableLayer;
import io.overlaybd.nbd.NbdExport;
import io.overlaybd.nbd.NbdServer;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code overlaybd serve}: the image as an NBD export on a Unix socket or TCP, read-only or writable into a writable
 * layer; the first line on stdout is the NBD URI, printed once the server listens.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the image's device over NBD (network block device) until stopped (SIGINT/SIGTERM stop "
                + "it gracefully: requests in flight are answered and a writable layer is flushed).",
                "The first line on stdout is the URI for clients: nbd+unix:///NAME?socket=PATH or "
                        + "nbd://HOST:PORT/NAME, e.g. for nbdcopy, nbdinfo, qemu-img, or qemu -drive "
                        + "file=URI,format=raw."},
        footerHeading = "%nExamples:%n",
        footer = {"  overlaybd serve --socket /tmp/img.sock layer1.zfile layer2.tar",
                "  overlaybd serve --listen 127.0.0.1:10809 --once config.json",
                "  overlaybd serve --socket /tmp/img.sock --plain-http docker://127.0.0.1:5000/img:v1"})
final class ServeCommand extends ImageCommand {
    @Option(names = "--socket", paramLabel = "PATH", description = "Listen on this Unix socket (must not exist).")
    Path socket;

    @Option(names = "--listen", paramLabel = "HOST:PORT",
            description = "Listen on TCP (default 127.0.0.1:10809; port 0 picks a free port).")
    String listen;

    @Option(names = "--name", paramLabel = "NAME", defaultValue = "",
            description = "Export name (default: the empty name, the default export).")
    String name;

    @Option(names = "--upper", arity = "2", paramLabel = "FILE",
            description = "DATA INDEX of a writable layer (see 'layer create'): the export is writable, writes go "
                    + "to this layer; commit it afterwards with 'layer commit'.")
    List<Path> upper;

    @Option(names = "--once", description = "Exit after the last client disconnects.")
    boolean once;

    @Override
    int work() throws Exception {
        if (socket != null && listen != null) {
            throw new ParameterException(spec.commandLine(), "--socket and --listen exclude each other");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintStream err = Main.root(spec).stderr;
        boolean verbose = Main.root(spec).verbose;
        try (Image image = openImage(io.overlaybd.core.FileAccess.AUTO, false)) {
            WritableLayer rw = null;
            LayerStack stack = null;
            try {
                NbdExport export;
                if (upper != null) {
                    if (image.stack().isEmpty()) {
                        throw new IllegalArgumentException("--upper needs LSMT layers below it, but "
                                + image.device().description() + " is not an LSMT stack");
                    }
                    if (image.upper().isPresent()) {
                        throw new IllegalArgumentException("--upper: the config already names an upper layer");
                    }
                    rw = WritableLayer.open(upper.get(0), upper.get(1));
                    stack = LayerStack.of(image.stack().get().layers(), rw, StackOptions.DEFAULTS);
                    export = NbdExport.writable(name, stack);
                } else {
                    export = NbdExport.readOnly(name, image.device());
                }
                NbdServer.Builder b = NbdServer.builder().export(export);
                if (socket != null) {
                    b.unixSocket(socket);
                } else {
                    b.address(parseListen(listen == null ? "127.0.0.1:10809" : listen));
                }
                if (verbose) {
                    b.log(line -> err.println("overlaybd serve: " + line));
                }
                NbdServer server = b.start();
                Thread hook = new Thread(() -> closeQuietly(server, err), "overlaybd serve shutdown");
                Runtime.getRuntime().addShutdownHook(hook);
                out.println(server.uri());
                out.flush();
                try {
                    if (once) {
                        server.awaitClientsGone();
                    } else {
                        server.awaitTermination();
                    }
                } finally {
                    server.close();
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException e) {
                        // the JVM is shutting down: the hook closes (or closed) the server
                    }
                }
            } finally {
                if (stack != null) {
                    stack.close();
                }
                if (rw != null) {
                    rw.close();
                }
            }
        }
        return Main.EXIT_OK;
    }

    private static void closeQuietly(NbdServer server, PrintStream err) {
        try {
            server.close();
        } catch (IOException e) {
            err.println("overlaybd: " + e.getMessage());
        }
    }

    private java.net.InetSocketAddress parseListen(String s) {
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new ParameterException(spec.commandLine(), "--listen wants HOST:PORT, got '" + s + "'");
        }
        String host = s.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new ParameterException(spec.commandLine(), "--listen: bad port in '" + s + "'");
        }
        return new java.net.InetSocketAddress(host, port);
    }
}
