package dev.rfork.worker.events;

import dev.rfork.address.Queues;
import dev.rfork.message.Event;
import dev.rfork.message.Messages;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the cluster-wide event stream and writes each event into the {@link RequestLog}, so
 * that {@code rfork status} can answer on any node, for any request, after it ended. A message
 * it cannot read or store is logged and skipped: the record is best effort, serving is not.
 */
public final class EventRecorder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);

    private final JMSConsumer consumer;

    private EventRecorder(JMSConsumer consumer) {
        this.consumer = consumer;
    }

    /** @param context a context of its own: its deliveries run on the client's threads from now on */
    public static EventRecorder start(JMSContext context, RequestLog log) {
        JMSConsumer consumer = context.createConsumer(context.createTopic(Queues.EVENTS));
        consumer.setMessageListener(message -> record(message, log));
        return new EventRecorder(consumer);
    }

    private static void record(Message message, RequestLog log) {
        try {
            if (message instanceof TextMessage text) {
                Event event = Messages.fromJson(text.getText(), Event.class);
                // Progress says how far a step had come at some moment: the step's own event tells
                // what happened, and a request's record stays a line per step.
                if (!event.type().isProgress()) {
                    log.append(event);
                }
            }
        } catch (JMSException | IOException | RuntimeException e) {
            LOG.warn("cannot record an event in {}: {}", log.dir(), e.getMessage());
        }
    }

    @Override
    public void close() {
        consumer.close();
    }
}
