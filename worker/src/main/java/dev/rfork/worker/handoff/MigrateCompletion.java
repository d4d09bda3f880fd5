package dev.rfork.worker.handoff;

import dev.rfork.address.Queues;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.MessageException;
import dev.rfork.message.Messages;
import dev.rfork.message.Reason;
import dev.rfork.worker.dump.HeldOriginal;
import dev.rfork.worker.events.RequestEvents;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.TextMessage;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Ends a migrate: waits for the target to report, then ends the held original when the copy
 * runs, or resumes it on failure or timeout. The target refuses restores after the request's
 * deadline, so a timeout here never leaves two copies running.
 */
public final class MigrateCompletion implements AutoCloseable {
    private final JMSConsumer consumer;
    private final RequestEvents events;

    /** Subscribes before the hand-off, so the target's answer cannot be missed. */
    public MigrateCompletion(JMSContext context, RequestEvents events) {
        this.consumer = context.createConsumer(
                context.createTopic(Queues.EVENTS),
                Queues.PROP_REQUEST_ID + " = '" + events.requestId() + "' AND " + Queues.PROP_EVENT_TYPE
                        + " IN ('restored', 'restore-failed')");
        this.events = events;
    }

    public void finish(HeldOriginal original, Duration timeout) throws Exception {
        Event answer = await(timeout);
        if (answer != null && answer.type() == EventType.RESTORED) {
            original.end();
            events.publish(
                    EventType.ORIGINAL_ENDED,
                    event -> event.withChild(answer.childNode(), answer.childPid())
                            .withDetail("the copy runs on " + answer.childNode() + " as PID " + answer.childPid()));
            return;
        }
        original.resume();
        events.publish(EventType.ROLLED_BACK, event -> event.withDetail("the original was resumed and keeps running"));
        if (answer == null) {
            throw new MessageException(
                    Reason.RESTORE_TIMEOUT,
                    "the target did not report the restore within " + timeout + "; the original was resumed",
                    Map.of("timeout", timeout.toString()),
                    null);
        }
        Map<String, String> evidence = new LinkedHashMap<>(answer.evidence());
        evidence.put("targetDetail", String.valueOf(answer.detail()));
        throw new MessageException(
                answer.reason() == null ? Reason.CRIU_RESTORE_FAILED : answer.reason(),
                "the target could not restore the copy; the original was resumed: " + answer.detail(),
                evidence,
                null);
    }

    private Event await(Duration timeout) throws Exception {
        var message = consumer.receive(Math.max(1, timeout.toMillis()));
        if (message instanceof TextMessage text) {
            return Messages.fromJson(text.getText(), Event.class);
        }
        return null;
    }

    @Override
    public void close() {
        consumer.close();
    }
}
