package io.overlaybd.nbd;

import io.overlaybd.lsmt.WritableLayer;
import java.nio.file.Path;

/** A server in a process of its own, for tests that kill it: serves DATA INDEX writable on SOCKET; prints the URI. */
public final class ServeMain {
    private ServeMain() {
    }

    public static void main(String[] args) throws Exception {
        WritableLayer w = WritableLayer.open(Path.of(args[0]), Path.of(args[1]));
        NbdServer s = NbdServer.builder().export(NbdExport.writable("", w)).unixSocket(Path.of(args[2])).start();
        System.out.println(s.uri());
        System.out.flush();
        s.awaitTermination();
    }
}
