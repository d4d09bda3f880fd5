package dev.rfork.worker;

import java.util.List;
import java.util.stream.Collectors;

/** The worker cannot start; the message lists each failed check and how to fix it. */
public final class WorkerStartException extends RuntimeException {
    private final List<Preflight.Check> failed;

    public WorkerStartException(List<Preflight.Check> failed) {
        super("the worker cannot start:\n"
                + failed.stream()
                        .map(check -> "  - " + check.name() + ": " + check.detail() + "\n    fix: " + check.fix())
                        .collect(Collectors.joining("\n")));
        this.failed = List.copyOf(failed);
    }

    public List<Preflight.Check> failed() {
        return failed;
    }
}
