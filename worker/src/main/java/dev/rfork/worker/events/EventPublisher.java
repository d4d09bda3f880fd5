package dev.rfork.worker.events;

import dev.rfork.address.Queues;
import dev.rfork.message.Event;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSProducer;
import jakarta.jms.Topic;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Publishes events at once, outside any request's transaction, so followers see progress
 * while the request is still being served. Every event is also a log line.
 */
public final class EventPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventPublisher.class);
    /** The log field (MDC key) that names the request a log line is about. */
    public static final String LOG_FIELD = "requestId";

    private final JMSContext context;
    private final Topic topic;
    private final String node;

    /** @param node this node, which every event it publishes names */
    public EventPublisher(JMSContext context, String node) {
        this.context = context;
        this.topic = context.createTopic(Queues.EVENTS);
        this.node = node;
    }

    public String node() {
        return node;
    }

    /** The events of one request ({@code pid} null when unknown). */
    public RequestEvents about(UUID requestId, Mode mode, Long pid) {
        return new RequestEvents(this, requestId, mode, pid);
    }

    public synchronized void publish(Event event) {
        String json = Messages.toJson(event);
        JMSProducer producer = context.createProducer()
                .setProperty(Queues.PROP_EVENT_TYPE, event.type().wireName());
        if (event.requestId() != null) {
            producer.setProperty(Queues.PROP_REQUEST_ID, event.requestId().toString());
        }
        if (event.reason() != null) {
            producer.setProperty(Queues.PROP_REASON, event.reason().code());
        }
        producer.send(topic, json);
        // Published from any thread (a recovery, the pruner): the line names its request itself.
        String previous = MDC.get(LOG_FIELD);
        MDC.put(LOG_FIELD, String.valueOf(event.requestId()));
        try {
            if (event.reason() != null) {
                LOG.warn("{} {}: {} {}", event.type().wireName(), event.reason().code(), event.detail(),
                        event.evidence());
            } else {
                LOG.info("{}{}", event.type().wireName(), event.stats().isEmpty() ? "" : " " + event.stats());
            }
        } finally {
            if (previous == null) {
                MDC.remove(LOG_FIELD);
            } else {
                MDC.put(LOG_FIELD, previous);
            }
        }
    }

    @Override
    public void close() {
        context.close();
    }
}
