package dev.rfork.message;

import java.util.Map;

/** A message that cannot be served, with the reason code and the evidence for it. */
public class MessageException extends RuntimeException {
    private final Reason reason;
    private final Map<String, String> evidence;

    public MessageException(Reason reason, String message) {
        this(reason, message, Map.of(), null);
    }

    public MessageException(Reason reason, String message, Map<String, String> evidence, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.evidence = Map.copyOf(evidence);
    }

    public Reason reason() {
        return reason;
    }

    public Map<String, String> evidence() {
        return evidence;
    }
}
