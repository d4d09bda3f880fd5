package dev.rfork.worker.serve;

import dev.rfork.message.Disposition;

/**
 * What becomes of a message whose serving failed. The one decision of the serve loop, kept
 * pure: the failure's disposition (from its reason), the attempt, and whether the message was
 * already acknowledged decide it.
 */
public enum Settlement {
    /** Acknowledged already (the request was handed off): the failure is only reported. */
    REPORT,
    /** A {@code retrying} event, and the transaction rolled back for the broker to redeliver. */
    RETRY,
    /** A failure event, and the message acknowledged: the request was fine but cannot be served. */
    ANSWER,
    /** A failure event, a copy of the message to the dead-letter queue, acknowledged. */
    DEAD_LETTER;

    public static Settlement of(Disposition disposition, int attempt, int maxAttempts, boolean committed) {
        if (committed) {
            return REPORT;
        }
        return switch (disposition) {
            case ANSWER -> ANSWER;
            case DEAD_LETTER -> DEAD_LETTER;
            // The last attempt gives up: what could not be served after all is a bad letter now.
            case REDELIVER -> attempt < maxAttempts ? RETRY : DEAD_LETTER;
        };
    }
}
