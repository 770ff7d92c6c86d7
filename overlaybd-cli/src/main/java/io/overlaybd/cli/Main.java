package io.overlaybd.cli;

import io.overlaybd.core.FormatException;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * Entry point of the {@code overlaybd} command-line tool. Every command is a thin layer over library calls: the
 * format logic lives in the SDK modules, so whatever the tool does, a Java program can do too.
 *
 * <p>Exit codes: 0 success (clean), 1 problems found ({@code zfile check}, {@code verify}), 2 the command could not
 * run (unreadable input, bad arguments). An error is one line on stderr naming the file and the offset; stack traces
 * only with {@code --verbose}. When the reader of stdout goes away ({@code overlaybd cat … | head}), output stops
 * quietly and the exit code is 0.
 */
@Command(name = "overlaybd", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Read, write and verify OverlayBD block images (ZFile, LSMT layers, stacks, config.json).",
        footerHeading = "%nSizes and offsets:%n",
        footer = {"  bytes, or a binary suffix k, m, g, t (any case; also KB/KiB, MB/MiB, GB/GiB, TB/TiB): 4k = 4KiB = "
                + "4096.", "", "Errors are one line: overlaybd COMMAND: FILE@OFFSET: message (--verbose adds the stack "
                + "trace).", "", "Examples:", "  overlaybd layer import -z disk.img layer1.zfile",
                "  overlaybd verify layer1.zfile layer2.tar", "  overlaybd help layer commit"},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success; the input is clean", "1:problems were found (zfile check, verify)",
                "2:the command could not run: unreadable input, bad arguments"})
public final class Main implements Runnable {
    /**
     * The commands, in the order of the usage message. They are registered by {@link #commandLine} rather than in the
     * {@code @Command} annotation, so that a run builds the picocli model of the one command it runs: building all of
     * them costs more CPU than the rest of the JVM's start.
     */
    static final List<Class<?>> COMMANDS = List.of(CatCommand.class, InfoCommand.class, ZFileCommand.class,
            LayerCommand.class, MergeCommand.class, ExportCommand.class, ExtentsCommand.class, VerifyCommand.class,
            ServeCommand.class, PullCommand.class, PushCommand.class);

    /** Success, and for checking commands: nothing wrong was found. */
    public static final int EXIT_OK = 0;
    /** A checking command found problems. */
    public static final int EXIT_PROBLEMS = 1;
    /** The command could not run: unreadable input, I/O error, bad usage. */
    public static final int EXIT_ERROR = 2;

    @Option(names = "--verbose", scope = ScopeType.INHERIT, description = "Print stack traces with errors.")
    boolean verbose;

    InputStream stdin;
    OutputStream stdout;
    PrintStream stderr;
    /** The writer under picocli's stdout PrintWriter, which keeps the error that PrintWriter swallows. */
    ErrorKeepingWriter stdoutWriter;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        int code = run(args, System.in, out, System.err);
        try {
            out.flush();
        } catch (IOException e) {
            // after a failed command the error was reported (and may have been this very one: --write-result
            // flushes before recording the outcome), so one line is enough
            if (!isBrokenPipe(e) && code != EXIT_ERROR) {
                System.err.println("overlaybd: cannot write to stdout: " + e.getMessage());
                code = EXIT_ERROR;
            }
        }
        stopHttpSelectors();
        System.exit(code);
    }

    /**
     * Ends the selector threads of the JDK's HTTP clients before the JVM exits. On Java 17 such a thread waits in
     * {@code epoll_wait} (native code), and HotSpot's exit waits up to 300 ms for threads in native code to return:
     * every registry command took 0.3 s longer than its work. The client has no close method before Java 21; its
     * selector thread (named {@code HttpClient-N-SelectorManager}) ends when interrupted. Only here, at the exit of
     * the tool, never in {@link #run}: an application embedding the CLI keeps its clients.
     */
    static void stopHttpSelectors() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("HttpClient-") && t.getName().endsWith("-SelectorManager")) {
                t.interrupt();
                try {
                    t.join(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Runs the tool with the given streams (stdin is the process's); returns the exit code. */
    public static int run(String[] args, OutputStream stdout, PrintStream stderr) {
        return run(args, System.in, stdout, stderr);
    }

    /** Runs the tool with the given streams; returns the exit code. Nothing is closed. */
    public static int run(String[] args, InputStream stdin, OutputStream stdout, PrintStream stderr) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
            // what picocli prints, without building its model first (that is most of the start-up CPU time)
            StringBuilder text = new StringBuilder();
            for (String line : new Version().getVersion()) {
                text.append(line).append(System.lineSeparator());
            }
            try {
                stdout.write(text.toString().getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                if (!isBrokenPipe(e)) {
                    stderr.println("overlaybd: cannot write to stdout: " + e.getMessage());
                    return EXIT_ERROR;
                }
            }
            return EXIT_OK;
        }
        Main main = new Main();
        main.stdin = stdin;
        main.stdout = stdout;
        main.stderr = stderr;
        CommandLine cl = commandLine(main, args);
        shareVersion(cl, new Version()); // so that "overlaybd verify --version" prints it too
        main.stdoutWriter = new ErrorKeepingWriter(new java.io.OutputStreamWriter(stdout, StandardCharsets.UTF_8));
        PrintWriter outWriter = new PrintWriter(main.stdoutWriter, true);
        cl.setOut(outWriter);
        cl.setErr(new PrintWriter(stderr, true));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setExitCodeExceptionMapper(e -> EXIT_ERROR);
        boolean verbose = Arrays.asList(args).contains("--verbose");
        cl.setParameterExceptionHandler((ex, args1) -> {
            // one line: what is wrong, and where to read more
            CommandLine c = ex.getCommandLine();
            String msg = ex.getMessage() == null ? "bad usage" : ex.getMessage().strip().replaceAll("\\s*\n\\s*",
                    " ");
            stderr.println(c.getCommandSpec().qualifiedName() + ": " + msg + " (see '"
                    + c.getCommandSpec().qualifiedName() + " --help')");
            if (verbose) {
                ex.printStackTrace(stderr);
            }
            return EXIT_ERROR;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            // one format: "overlaybd COMMAND: FILE@OFFSET: message"
            stderr.println(c.getCommandSpec().qualifiedName() + ": " + describe(ex));
            if (verbose) {
                ex.printStackTrace(stderr);
            }
            return EXIT_ERROR;
        });
        int code = cl.execute(args);
        outWriter.flush();
        return code;
    }

    /**
     * @return the command line of {@code main} with the command that {@code args} names (its first word that is not
     *         an option: the root's options take no values) and, for a group such as {@code layer}, the subcommand
     *         the next argument names; with every command, subcommand (and {@code help}) when the arguments name
     *         none of them, as for {@code --help}, {@code help cat} or a misspelt command, and with every subcommand
     *         of a named group when no subcommand of it is named
     */
    static CommandLine commandLine(Main main, String[] args) {
        CommandLine cl = new CommandLine(main);
        int at = 0;
        while (at < args.length && args[at].startsWith("-")) {
            at++;
        }
        // a group's subcommand only right after the group's name: "layer --help commit" lists them all
        if (!addNamedOrAll(cl, COMMANDS, at < args.length ? args[at] : null,
                at + 1 < args.length ? args[at + 1] : null)) {
            cl.addSubcommand(HelpCommand.class);
        }
        return cl;
    }

    /** The groups' subcommands, in the order of their usage messages. */
    static final java.util.Map<Class<?>, List<Class<?>>> SUBCOMMANDS = java.util.Map.of(
            LayerCommand.class, LayerCommand.SUBCOMMANDS, ZFileCommand.class, ZFileCommand.SUBCOMMANDS);

    /**
     * Adds to {@code parent} the command of {@code commands} named {@code name} (with, for a group, its subcommand
     * named {@code subName}, or all of them), or all of {@code commands} with all their subcommands if none is so
     * named.
     *
     * @return whether one was named
     */
    private static boolean addNamedOrAll(CommandLine parent, List<Class<?>> commands, String name, String subName) {
        for (Class<?> c : commands) {
            if (c.getAnnotation(Command.class).name().equals(name)) {
                addWithSubcommands(parent, c, subName);
                return true;
            }
        }
        for (Class<?> c : commands) {
            addWithSubcommands(parent, c, null);
        }
        return false;
    }

    private static void addWithSubcommands(CommandLine parent, Class<?> command, String subName) {
        parent.addSubcommand(command);
        List<Class<?>> subs = SUBCOMMANDS.get(command);
        if (subs != null) {
            CommandLine group = parent.getSubcommands().get(command.getAnnotation(Command.class).name());
            addNamedOrAll(group, subs, subName, null);
        }
    }

    /**
     * @return true if writing failed because the reader of the stream went away (EPIPE: "Broken pipe"), which a
     *         command writing to stdout treats as a request to stop, not as an error
     */
    static boolean isBrokenPipe(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.toLowerCase(java.util.Locale.ROOT).contains("broken pipe")) {
                return true;
            }
        }
        return false;
    }

    /**
     * One line for a failure, {@code FILE@OFFSET: message} where a file and an offset are known: format errors
     * name the resource, the byte offset and the structure; file-system errors the file.
     */
    static String describe(Throwable ex) {
        Throwable e = ex instanceof UncheckedIOException && ex.getCause() != null ? ex.getCause() : ex;
        if (e instanceof FormatException f) {
            return f.resource() + (f.offset() >= 0 ? "@" + f.offset() : "") + ": " + formatDetail(f);
        }
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + ": " + (n.getReason() != null ? n.getReason() : "no such file");
        }
        if (e instanceof AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        }
        if (e instanceof FileAlreadyExistsException x) {
            return x.getFile() + ": " + (x.getReason() != null ? x.getReason() : "already exists");
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getFile() != null) {
            return fs.getFile() + ": " + (fs.getReason() != null ? fs.getReason() : fs.getClass().getSimpleName());
        }
        String msg = e.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = e.getClass().getSimpleName();
        } else if (!(e instanceof IOException) && !(e instanceof IllegalArgumentException)
                && !(e instanceof IllegalStateException)) {
            msg = e.getClass().getSimpleName() + ": " + msg;
        }
        return msg.replace('\n', ' ');
    }

    /** @return a format error's "structure: detail", without the "at offset N in resource" the prefix carries. */
    static String formatDetail(FormatException f) {
        String m = f.getMessage() == null ? "" : f.getMessage().replace('\n', ' ');
        String suffix = (f.offset() >= 0 ? " at offset " + f.offset() : "") + " in " + f.resource();
        if (m.endsWith(suffix)) {
            m = m.substring(0, m.length() - suffix.length());
        }
        return m;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: one of cat, info, zfile, "
                + "layer, merge, export, extents, verify, serve, pull, push (see 'overlaybd help COMMAND')");
    }

    private static void shareVersion(CommandLine cl, CommandLine.IVersionProvider version) {
        cl.getCommandSpec().versionProvider(version);
        for (CommandLine sub : cl.getSubcommands().values()) {
            shareVersion(sub, version);
        }
    }

    /** Looks up the root command object, which holds the streams. */
    static Main root(CommandLine.Model.CommandSpec spec) {
        return (Main) spec.root().userObject();
    }

    /** Passes everything through, remembering the last write or flush error (which PrintWriter only flags). */
    static final class ErrorKeepingWriter extends java.io.FilterWriter {
        private IOException error;

        ErrorKeepingWriter(java.io.Writer out) {
            super(out);
        }

        /** @return the last error writing or flushing, or null. */
        IOException error() {
            return error;
        }

        @Override
        public void write(int c) throws IOException {
            try {
                super.write(c);
            } catch (IOException e) {
                error = e;
                throw e;
            }
        }

        @Override
        public void write(char[] cbuf, int off, int len) throws IOException {
            try {
                super.write(cbuf, off, len);
            } catch (IOException e) {
                error = e;
                throw e;
            }
        }

        @Override
        public void write(String str, int off, int len) throws IOException {
            try {
                super.write(str, off, len);
            } catch (IOException e) {
                error = e;
                throw e;
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                super.flush();
            } catch (IOException e) {
                error = e;
                throw e;
            }
        }
    }

    /** Reports the version from the jar manifest, or "dev" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"overlaybd " + (v != null ? v : "0.1.0-SNAPSHOT"),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
