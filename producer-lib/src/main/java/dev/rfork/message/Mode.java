package dev.rfork.message;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** What happens to the original once its copy runs. */
public enum Mode {
    /** The original keeps running next to its copy. */
    FORK,
    /** The original is held stopped during the transfer and ends once the copy runs. */
    MIGRATE;

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static Mode fromWire(String value) {
        for (Mode mode : values()) {
            if (mode.wireName().equals(value)) {
                return mode;
            }
        }
        throw new IllegalArgumentException("mode must be 'fork' or 'migrate', got '" + value + "'");
    }
}
