package dev.rfork.cli;

import dev.rfork.message.Mode;
import picocli.CommandLine.Command;

@Command(name = "fork", description = "Copy a running process to a node; the original keeps running.")
final class ForkCommand extends RequestCommand {
    @Override
    Mode mode() {
        return Mode.FORK;
    }
}
