package dev.rfork.cli;

/** Exit statuses of the CLI; reason-specific ones come from {@code Reason.exitCode()}. */
final class ExitCodes {
    static final int OK = 0;
    static final int ERROR = 1;
    static final int BROKER_UNAVAILABLE = 3;
    static final int TIMEOUT = 4;

    private ExitCodes() {
    }
}
