package dev.rfork.cli;

/** Exit statuses of the CLI; reason-specific ones come from {@code Reason.exitCode()}. */
final class ExitCodes {
    static final int OK = 0;
    static final int ERROR = 1;
    static final int BROKER_UNAVAILABLE = 3;
    /** No outcome yet: {@code --wait} timed out, or {@code status} finds the request still going. */
    static final int TIMEOUT = 4;
    /** {@code status}: this node has no record of the request. */
    static final int UNKNOWN_REQUEST = 5;

    private ExitCodes() {
    }
}
