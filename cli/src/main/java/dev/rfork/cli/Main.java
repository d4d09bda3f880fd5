package dev.rfork.cli;

import dev.rfork.config.MissingSecretException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/** {@code rfork}: run a node's worker, request forks and migrations, follow them, check the node. */
@Command(
        name = "rfork",
        mixinStandardHelpOptions = true,
        scope = ScopeType.INHERIT,
        description = "Remote fork for Linux processes: CRIU + FTP + Apache ActiveMQ Artemis.",
        subcommands = {
            WorkerCommand.class,
            ForkCommand.class,
            MigrateCommand.class,
            WatchCommand.class,
            StatusCommand.class,
            QueuesCommand.class,
            DoctorCommand.class,
            DemoCommand.class,
            BrokerConfigCommand.class,
            CertificatesCommand.class,
            CompletionCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main {
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command tree, each command's help listing its exit codes. */
    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Main()).setExecutionExceptionHandler(Main::explain);
        // Set once the tree is built: with the provider in the annotation, every subcommand
        // inherited the version at start-up, each asking CRIU for it (12 runs, ~0.8 s a command).
        Versions versions = new Versions();
        commandLine.getCommandSpec().versionProvider(versions);
        commandLine
                .getSubcommands()
                .values()
                .forEach(sub -> sub.getCommandSpec().versionProvider(versions));
        commandLine
                .getSubcommands()
                .forEach((name, command) -> command.getCommandSpec()
                        .usageMessage()
                        .exitCodeListHeading("%nExit codes:%n")
                        .exitCodeList(ExitCodes.listFor(name)));
        return commandLine;
    }

    /** Known failures are one readable line, not a stack trace. */
    private static int explain(Exception e, CommandLine commandLine, CommandLine.ParseResult parsed) {
        commandLine.getErr().println("rfork: " + e.getMessage());
        if (System.getenv("RFORK_DEBUG") != null) {
            e.printStackTrace(commandLine.getErr());
        }
        return e instanceof MissingSecretException ? ExitCodes.NOT_SET_UP : ExitCodes.ERROR;
    }
}
