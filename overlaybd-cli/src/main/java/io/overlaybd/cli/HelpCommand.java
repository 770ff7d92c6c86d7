package io.overlaybd.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code overlaybd help [COMMAND [SUBCOMMAND]]}: the usage of any command, nested ones included
 * ({@code help layer commit}), where picocli's own help command stops at the first level.
 */
@Command(name = "help", helpCommand = true, description = "Show the usage of a command: overlaybd help layer commit.",
        footerHeading = "%nExamples:%n", footer = {"  overlaybd help", "  overlaybd help layer commit"})
final class HelpCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "COMMAND", description = "The command, and its subcommand, to show.")
    List<String> commands = List.of();

    @Override
    public Integer call() {
        CommandLine target = spec.root().commandLine();
        for (String name : commands) {
            CommandLine sub = target.getSubcommands().get(name);
            if (sub == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "unknown command '" + name + "'"
                        + (target.getSubcommands().isEmpty() ? "" : ": one of " + String.join(", ",
                        target.getSubcommands().keySet())));
            }
            target = sub;
        }
        target.usage(spec.commandLine().getOut());
        spec.commandLine().getOut().flush();
        return Main.EXIT_OK;
    }
}
