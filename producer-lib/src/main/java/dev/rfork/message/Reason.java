package dev.rfork.message;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Stable reason codes carried by {@code failed} events. Codes never change meaning once
 * released; clients and the CLI's exit codes rely on them (see docs/reasons.md).
 */
public enum Reason {
    MALFORMED_MESSAGE(Disposition.DEAD_LETTER, 10, "the message is not valid JSON for its type"),
    UNSUPPORTED_VERSION(Disposition.DEAD_LETTER, 10, "the message's version is not one this worker reads"),
    INVALID_REQUEST(Disposition.DEAD_LETTER, 10, "a field is missing or out of range"),
    INVALID_NODE_ADDRESS(Disposition.DEAD_LETTER, 11, "the target is not a valid node address"),
    UNKNOWN_NODE(Disposition.DEAD_LETTER, 11, "the target is not one of this cluster's nodes"),
    NO_SUCH_PROCESS(Disposition.DEAD_LETTER, 12, "no process has this PID on the source node"),
    FORBIDDEN(Disposition.DEAD_LETTER, 13, "the sender may not fork this process"),
    FILE_LOCK_HELD(
            Disposition.ANSWER,
            14,
            "a copy on the same node could not take the exclusive file lock the process holds; refused before"
                    + " any freeze"),
    GHOST_FILE_TOO_LARGE(
            Disposition.ANSWER,
            16,
            "the process holds a deleted file larger than the dump may carry (setting criu.ghost-limit); refused"
                    + " before any freeze"),
    CPU_FEATURES_MISSING(
            Disposition.ANSWER,
            15,
            "the target's CPU lacks features this node's has: the copy could fault on them; refused before any"
                    + " freeze"),
    CRIU_VERSION_MISMATCH(
            Disposition.ANSWER,
            15,
            "the target runs another CRIU version, which may not read this one's images; refused before any"
                    + " freeze"),
    FILES_DIFFER_ON_TARGET(
            Disposition.ANSWER,
            17,
            "a regular file the process holds is missing on the target or of another size there; refused before"
                    + " any freeze"),
    CRIU_DUMP_FAILED(Disposition.ANSWER, 20, "criu dump failed"),
    SHIP_FAILED(Disposition.REDELIVER, 21, "the images could not be uploaded to the target"),
    TARGET_UNREACHABLE(Disposition.REDELIVER, 21, "the target node's FTP server does not answer"),
    TARGET_UNTRUSTED(
            Disposition.ANSWER,
            21,
            "the target's FTP server failed the TLS check: its certificate is not from this node's CA, or does"
                    + " not name the target, or it does not speak TLS"),
    IMAGE_VERIFICATION_FAILED(Disposition.DEAD_LETTER, 22, "the images do not match their manifest"),
    CRIU_RESTORE_FAILED(Disposition.ANSWER, 23, "criu restore failed"),
    RESTORE_TIMEOUT(Disposition.ANSWER, 24, "the target did not report the restore in time"),
    DEADLINE_EXPIRED(Disposition.ANSWER, 24, "the restore request arrived after its deadline"),
    INTERNAL_ERROR(Disposition.REDELIVER, 30, "unexpected error in the worker");

    private final Disposition disposition;
    private final int exitCode;
    private final String meaning;

    Reason(Disposition disposition, int exitCode, String meaning) {
        this.disposition = disposition;
        this.exitCode = exitCode;
        this.meaning = meaning;
    }

    public Disposition disposition() {
        return disposition;
    }

    /** Exit status of {@code rfork fork --wait} when a request ends with this reason. */
    public int exitCode() {
        return exitCode;
    }

    public String meaning() {
        return meaning;
    }

    @JsonValue
    public String code() {
        return name();
    }

    @JsonCreator
    public static Reason fromCode(String code) {
        return valueOf(code);
    }
}
