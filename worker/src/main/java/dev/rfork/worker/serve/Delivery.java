package dev.rfork.worker.serve;

import dev.rfork.message.EventType;
import dev.rfork.message.Mode;
import dev.rfork.worker.events.EventPublisher;
import jakarta.jms.JMSContext;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * One message being served: its transaction, and what is known of its request so far, so
 * that a failure at any point can be answered with the right request id.
 */
public final class Delivery {
    private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);

    private final JMSContext transaction;
    private final int deliveryCount;
    private final String sender;
    private final String messageId;
    private UUID requestId;
    private Mode mode;
    private Long pid;
    private boolean committed;
    private final List<Runnable> afterCommit = new ArrayList<>();
    private final List<Runnable> afterFinalFailure = new ArrayList<>();
    private EventType failureType = EventType.FAILED;

    /**
     * @param requestIdHint the message's requestId property, used until the body is read
     * @param sender        the broker user who sent it, as the broker validated it; null if unknown
     * @param messageId     the broker's id of the message, the same on every redelivery
     */
    Delivery(JMSContext transaction, int deliveryCount, UUID requestIdHint, String sender, String messageId) {
        this.transaction = transaction;
        this.deliveryCount = deliveryCount;
        this.sender = sender;
        this.messageId = messageId;
        this.requestId = requestIdHint;
    }

    /** A message that may not speak for the request id it names: its failure is answered without it. */
    public void disown() {
        this.requestId = null;
    }

    public String messageId() {
        return messageId;
    }

    public void identify(UUID id, Mode requestMode, long requestPid) {
        this.requestId = id;
        MDC.put(EventPublisher.LOG_FIELD, String.valueOf(id));
        this.mode = requestMode;
        this.pid = requestPid;
    }

    /** Acknowledges the message together with whatever was sent in its transaction. */
    public void commit() {
        transaction.commit();
        committed = true;
        afterCommit.forEach(Runnable::run);
    }

    /** Runs {@code action} right after the commit, before anything else happens (not on rollback). */
    public void afterCommit(Runnable action) {
        afterCommit.add(action);
    }

    /**
     * Runs {@code action} once a failure of this message is final: answered or dead-lettered, not
     * rolled back for another attempt (which would need what the action deletes).
     */
    public void afterFinalFailure(Runnable action) {
        afterFinalFailure.add(action);
    }

    /** The failure was answered for good; a failing action is logged, it changes nothing for the request. */
    void failedFinally() {
        for (Runnable action : afterFinalFailure) {
            try {
                action.run();
            } catch (RuntimeException e) {
                LOG.warn("cleaning up after the failure failed: {}", e.getMessage());
            }
        }
    }

    public JMSContext transaction() {
        return transaction;
    }

    public int deliveryCount() {
        return deliveryCount;
    }

    /** The broker account that sent the message (never a field of the message's body). */
    public String sender() {
        return sender;
    }

    public UUID requestId() {
        return requestId;
    }

    public Mode mode() {
        return mode;
    }

    public Long pid() {
        return pid;
    }

    public boolean committed() {
        return committed;
    }

    /** The event type that reports a failure of this delivery (migrate restores differ). */
    public EventType failureType() {
        return failureType;
    }

    public void failureType(EventType type) {
        this.failureType = type;
    }
}
