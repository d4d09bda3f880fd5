package dev.rfork.client;

import dev.rfork.message.Reason;
import java.util.Map;
import java.util.UUID;

/** A self-fork that failed; thrown in the original, which keeps running. */
public final class SelfForkException extends RuntimeException {
    private final UUID requestId;
    private final Reason reason;
    private final Map<String, String> evidence;

    public SelfForkException(UUID requestId, Reason reason, String detail, Map<String, String> evidence) {
        super((reason == null ? "no answer" : reason.code()) + ": " + detail + " (request " + requestId + ")");
        this.requestId = requestId;
        this.reason = reason;
        this.evidence = evidence == null ? Map.of() : Map.copyOf(evidence);
    }

    public UUID requestId() {
        return requestId;
    }

    /** The stable reason code; null when the worker did not answer in time. */
    public Reason reason() {
        return reason;
    }

    public Map<String, String> evidence() {
        return evidence;
    }
}
