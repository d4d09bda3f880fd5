package dev.rfork.message;

/** What the worker does with the message that led to a failure. */
public enum Disposition {
    /** The message itself is bad: answer with a failed event and move it to the dead-letter queue. */
    DEAD_LETTER,
    /** Something outside may recover (target down, broker hiccup): roll back so the broker redelivers it. */
    REDELIVER,
    /** The request was fine but cannot be served: answer with a failed event and acknowledge it. */
    ANSWER
}
