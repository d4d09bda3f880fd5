package dev.rfork.cli;

import dev.rfork.config.MissingSecretException;
import dev.rfork.message.Event;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.LocalQueued;
import dev.rfork.message.LocalRequest;
import dev.rfork.message.Messages;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/** {@code rfork}: run a node's worker, request forks and migrations, follow them, check the node. */
@Command(
        name = "rfork",
        mixinStandardHelpOptions = true,
        scope = ScopeType.INHERIT,
        description = "Remote fork for Linux processes: CRIU + FTP + Apache ActiveMQ Artemis.")
public final class Main {
    /** The subcommands, in the order the help lists them. */
    private static final List<Class<?>> COMMANDS = List.of(
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
            CommandLine.HelpCommand.class);

    /** What lists or describes every command: it needs the whole tree. */
    private static final Set<String> WHOLE_TREE = Set.of("completion", "help");

    public static void main(String[] args) {
        warmUp();
        int status = commandLine(args.length > 0 ? args[0] : null).execute(args);
        BrokerThreads.endIfUsed();
        System.exit(status);
    }

    /**
     * Builds on the other core, while picocli reads the command (~0.1 s), what nearly every
     * command needs next and a cold JVM is slow to make: the JSON codec for the messages and a
     * first random request id. Not the logging: SLF4J replays, with a warning, what another
     * thread logged while it started. Measured: docs/benchmarks.md, "The CLI".
     */
    private static void warmUp() {
        Thread thread = new Thread(
                () -> {
                    Messages.warmUp(LocalRequest.class, LocalQueued.class, Event.class, ForkRequest.class);
                    UUID.randomUUID();
                },
                "rfork-warm-up");
        thread.setDaemon(true);
        thread.start();
    }

    /** The whole command tree, each command's help listing its exit codes. */
    static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The tree with only the command that runs, when {@code first} names one: picocli reads
     * every command it is given by reflection, and building all twelve took ~0.2 s of each
     * command's start. {@code rfork}, {@code rfork --help}, {@code help} and {@code completion}
     * get them all.
     */
    static CommandLine commandLine(String first) {
        CommandLine commandLine = new CommandLine(new Main()).setExecutionExceptionHandler(Main::explain);
        List<Class<?>> named = first == null || WHOLE_TREE.contains(first)
                ? List.of()
                : COMMANDS.stream()
                        .filter(command -> name(command).equals(first))
                        .toList();
        (named.isEmpty() ? COMMANDS : named).forEach(commandLine::addSubcommand);
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

    private static String name(Class<?> command) {
        return command.getAnnotation(Command.class).name();
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
