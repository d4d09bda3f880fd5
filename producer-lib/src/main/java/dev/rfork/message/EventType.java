package dev.rfork.message;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** The life of a request, in the order events are published. */
public enum EventType {
    ACCEPTED,
    DUMPED,
    SHIPPED,
    RESTORE_QUEUED,
    RESTORED,
    /** Migrate: the target could not restore; the source resumes the original next. */
    RESTORE_FAILED,
    /** Migrate: the original ended after its copy was restored. */
    ORIGINAL_ENDED,
    /** Migrate: the original was resumed after a failure; it keeps running. */
    ROLLED_BACK,
    /** A transient failure; the broker will redeliver the request. */
    RETRYING,
    FAILED;

    /** True when no further event of this request follows from this node's point of view. */
    public boolean isTerminal(Mode mode) {
        return switch (this) {
            case FAILED -> true;
            case RESTORED -> mode != Mode.MIGRATE;
            case ORIGINAL_ENDED -> true;
            default -> false;
        };
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    @JsonCreator
    public static EventType fromWire(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
}
