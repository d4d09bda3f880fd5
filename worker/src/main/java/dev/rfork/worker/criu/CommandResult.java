package dev.rfork.worker.criu;

import java.util.List;

/** Exit status and the last lines of output of a command that ran to its end. */
public record CommandResult(int exitStatus, List<String> tail, String output) {
    public String tailText() {
        return String.join("\n", tail);
    }

    static CommandResult of(int exitStatus, String output, int tailLines) {
        List<String> lines = output.lines().toList();
        List<String> tail = lines.subList(Math.max(0, lines.size() - tailLines), lines.size());
        return new CommandResult(exitStatus, List.copyOf(tail), output);
    }
}
