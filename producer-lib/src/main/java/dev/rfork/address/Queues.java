package dev.rfork.address;

import java.util.UUID;

/** The broker addresses rfork uses; broker-config/broker.xml declares the same names. */
public final class Queues {
    /** Anycast, local to each node: fork requests for PIDs of this node. */
    public static final String CHECKPOINT = "checkpoint";
    /** Multicast, shared by every node's broker: the life of every request. */
    public static final String EVENTS = "rfork.events";
    /** Where the worker moves requests it rejects, with the reason as a property. */
    public static final String DEAD_LETTER = "DLQ";
    /** Prefix of each node's restore queue; see {@link #restore(NodeAddress)}. */
    public static final String RESTORE_PREFIX = "restore.";

    /** Message properties every rfork message carries, for selectors and the console. */
    public static final String PROP_REQUEST_ID = "requestId";

    public static final String PROP_EVENT_TYPE = "eventType";
    public static final String PROP_REASON = "reason";
    /**
     * The request id on progress events ({@code shipping}) instead of {@link #PROP_REQUEST_ID}:
     * a follower selecting {@code requestId = '<id>'} (every client before progress events existed)
     * never receives them; one that wants them selects this property too.
     */
    public static final String PROP_PROGRESS_OF = "progressOf";

    private Queues() {}

    /** The JMS selector for every event of one request, its progress events included. */
    public static String eventsOf(UUID requestId) {
        return PROP_REQUEST_ID + " = '" + requestId + "' OR " + PROP_PROGRESS_OF + " = '" + requestId + "'";
    }

    /** The queue the given node's worker consumes restore requests from. */
    public static String restore(NodeAddress node) {
        return RESTORE_PREFIX + node.queueToken();
    }
}
