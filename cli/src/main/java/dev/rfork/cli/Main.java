package dev.rfork.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code rfork}: run a node's worker, request forks and migrations, follow them, check the node. */
@Command(name = "rfork", mixinStandardHelpOptions = true, version = "rfork 0.1.0",
        description = "Remote fork for Linux processes: CRIU + FTP + Apache ActiveMQ Artemis.",
        subcommands = {WorkerCommand.class, ForkCommand.class, MigrateCommand.class, WatchCommand.class, StatusCommand.class,
            QueuesCommand.class, DoctorCommand.class, DemoCommand.class, BrokerConfigCommand.class, CommandLine.HelpCommand.class})
public final class Main {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main())
                .setExecutionExceptionHandler(Main::explain)
                .execute(args));
    }

    /** Known failures are one readable line, not a stack trace. */
    private static int explain(Exception e, CommandLine commandLine, CommandLine.ParseResult parsed) {
        commandLine.getErr().println("rfork: " + e.getMessage());
        if (System.getenv("RFORK_DEBUG") != null) {
            e.printStackTrace(commandLine.getErr());
        }
        return ExitCodes.ERROR;
    }
}
