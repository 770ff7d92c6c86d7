package io.overlaybd.cli;

/** Entry point of the {@code overlaybd} command-line tool. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        System.exit(0);
    }
}
