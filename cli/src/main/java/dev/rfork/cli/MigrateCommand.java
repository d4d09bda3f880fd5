package dev.rfork.cli;

import dev.rfork.message.Mode;
import picocli.CommandLine.Command;

@Command(
        name = "migrate",
        description = "Move a running process to a node; the original ends once the copy runs, "
                + "and keeps running if anything fails.")
final class MigrateCommand extends RequestCommand {
    @Override
    Mode mode() {
        return Mode.MIGRATE;
    }
}
