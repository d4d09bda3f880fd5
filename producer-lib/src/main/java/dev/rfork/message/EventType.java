package dev.rfork.message;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;

/** The life of a request, in the order events are published. */
public enum EventType {
    ACCEPTED,
    DUMPED,
    /** Progress of the upload: bytes sent so far; at most a few a second, never terminal. */
    SHIPPING,
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
    FAILED,
    /**
     * A type this reader does not know (a later version's): read as progress, so a client keeps
     * following the request instead of failing on it. Never written.
     */
    UNKNOWN;

    /** True when no further event of this request follows from this node's point of view. */
    public boolean isTerminal(Mode mode) {
        return switch (this) {
            case FAILED -> true;
            case RESTORED -> mode != Mode.MIGRATE;
            case ORIGINAL_ENDED -> true;
            default -> false;
        };
    }

    /** Only says how far a step has come: followers may skip it, and no outcome depends on it. */
    public boolean isProgress() {
        return this == SHIPPING || this == UNKNOWN;
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Text only: a number or boolean is no type of any version (Jackson would turn it into text). */
    @JsonCreator
    static EventType fromJson(JsonNode value) {
        if (!value.isTextual()) {
            throw new IllegalArgumentException("an event type is text, got " + value);
        }
        return fromWire(value.textValue());
    }

    public static EventType fromWire(String value) {
        try {
            return valueOf(value.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            return UNKNOWN;
        }
    }
}
