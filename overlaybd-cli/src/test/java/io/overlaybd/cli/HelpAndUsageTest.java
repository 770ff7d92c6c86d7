package io.overlaybd.cli;

import static io.overlaybd.cli.Cli.fx;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

class HelpAndUsageTest {
    /** Every command path, found from the command tree itself so a new command cannot be forgotten. */
    static Stream<List<String>> commands() {
        List<List<String>> out = new ArrayList<>();
        walk(Main.commandLine(new Main(), new String[0]), new ArrayList<>(), out);
        assertThat(out).hasSize(20); // root, 11 commands, zfile x3, layer x5
        return out.stream();
    }

    private static void walk(CommandLine cl, List<String> path, List<List<String>> out) {
        out.add(List.copyOf(path));
        cl.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                List<String> p = new ArrayList<>(path);
                p.add(name);
                walk(sub, p, out);
            }
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("commands")
    void everyCommandHasHelp(List<String> command) {
        List<String> args = new ArrayList<>(command);
        args.add("--help");
        Cli.Result r = Cli.ok(args.toArray(String[]::new));
        assertThat(r.text()).startsWith("Usage: overlaybd" + (command.isEmpty() ? "" : " " + String.join(" ",
                command))).contains("-h, --help", "-V, --version");
        if (!command.isEmpty()) {
            List<String> help = new ArrayList<>(List.of("help"));
            help.addAll(command.subList(0, 1));
            assertThat(Cli.ok(help.toArray(String[]::new)).text()).startsWith("Usage: overlaybd " + command.get(0));
        }
    }

    @Test
    void rootHelpListsExitCodes() {
        assertThat(Cli.ok("--help").text()).contains("Exit codes:", "0", "1", "2", "cat", "verify", "zfile");
    }

    @Test
    void version() {
        assertThat(Cli.ok("--version").text()).startsWith("overlaybd ").contains("Java");
        for (String[] cmd : new String[][] {{"verify"}, {"zfile", "check"}, {"layer", "commit"}}) {
            String[] args = java.util.Arrays.copyOf(cmd, cmd.length + 1);
            args[cmd.length] = "--version";
            assertThat(Cli.ok(args).text()).as(String.join(" ", cmd)).startsWith("overlaybd ");
        }
    }

    /** The start-up shortcut for a lone --version / -V prints exactly what picocli prints for it. */
    @Test
    void loneVersionShortcutPrintsWhatPicocliPrints() {
        java.io.StringWriter picocli = new java.io.StringWriter();
        CommandLine cl = Main.commandLine(new Main(), new String[0]);
        cl.getCommandSpec().versionProvider(new Main.Version());
        cl.setOut(new java.io.PrintWriter(picocli));
        cl.printVersionHelp(new java.io.PrintWriter(picocli, true));
        assertThat(picocli.toString()).startsWith("overlaybd ");
        assertThat(Cli.ok("--version").text()).isEqualTo(picocli.toString());
        assertThat(Cli.ok("-V").text()).isEqualTo(picocli.toString());
        assertThat(Cli.ok("--verbose", "--version").text()).isEqualTo(picocli.toString());
    }

    /** Only the command being run gets a picocli model; anything else sees every command. */
    @Test
    void onlyTheNamedCommandIsRegistered() {
        assertThat(Main.commandLine(new Main(), new String[] {"cat", "x"}).getSubcommands()).containsOnlyKeys("cat");
        assertThat(Main.commandLine(new Main(), new String[] {"--verbose", "zfile", "check", "x"}).getSubcommands())
                .containsOnlyKeys("zfile");
        for (String[] args : new String[][] {{}, {"--help"}, {"help", "cat"}, {"catt"}, {"-V"}}) {
            assertThat(Main.commandLine(new Main(), args).getSubcommands()).as(String.join(" ", args))
                    .containsKeys("cat", "info", "zfile", "layer", "merge", "export", "extents", "verify", "serve", "pull",
                            "push", "help")
                    .hasSize(Main.COMMANDS.size() + 1);
        }
        assertThat(Cli.ok("--verbose", "info", "--help").text()).startsWith("Usage: overlaybd info");
        assertThat(Cli.fails(2, "catt").err()).contains("catt");
    }

    /** A group builds the model of the subcommand that runs; its help, a misspelt or a later word sees them all. */
    @Test
    void onlyTheNamedSubcommandIsRegistered() {
        assertThat(subcommandsOf("layer", "layer", "commit", "-z", "d", "i", "o")).containsOnlyKeys("commit");
        assertThat(subcommandsOf("zfile", "--verbose", "zfile", "compress", "a", "b")).containsOnlyKeys("compress");
        for (String[] args : new String[][] {{"layer"}, {"layer", "--help"}, {"layer", "--help", "commit"},
                {"layer", "comit"}, {"--help"}, {"help", "layer"}}) {
            assertThat(subcommandsOf("layer", args)).as(String.join(" ", args))
                    .containsOnlyKeys("create", "write", "discard", "commit", "import");
        }
        assertThat(subcommandsOf("zfile", "help", "zfile", "check"))
                .containsOnlyKeys("compress", "decompress", "check");
        assertThat(Cli.ok("layer", "--help").text()).contains("create", "write", "discard", "commit", "import");
        assertThat(Cli.ok("help", "layer", "commit").text()).startsWith("Usage: overlaybd layer commit");
        assertThat(Cli.fails(2, "layer", "comit", "x").err()).contains("comit");
        assertThat(Cli.fails(2, "zfile").err()).contains("missing subcommand");
    }

    static java.util.Map<String, picocli.CommandLine> subcommandsOf(String group, String... args) {
        return Main.commandLine(new Main(), args).getSubcommands().get(group).getSubcommands();
    }

    @Test
    void badUsageIsOneLineWithoutStackTrace() {
        for (String[] args : new String[][] {{}, {"bogus"}, {"cat", "--bogus", "x"}, {"cat", "--offset"},
                {"layer", "create", "a", "b"}, {"zfile", "compress", "a"}, {"merge", fx("lsmt/layer1.lsmt")},
                {"extents", "--json"}}) {
            Cli.Result r = Cli.fails(2, args);
            assertThat(r.err()).startsWith("overlaybd").contains("--help");
            assertThat(r.out()).isEmpty();
        }
    }

    @Test
    void verboseAddsTheStackTrace() {
        Cli.Result r = Cli.run("--verbose", "cat", "--bogus");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("\tat picocli.");
        r = Cli.run("cat", "--verbose", "/no/such/file");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("overlaybd cat: /no/such/file: no such file").contains("NoSuchFileException",
                "\tat ");
    }
}
