package dev.rfork.worker.events;

import dev.rfork.address.Queues;
import dev.rfork.message.Event;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSProducer;
import jakarta.jms.Topic;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Publishes events at once, outside any request's transaction, so followers see progress
 * while the request is still being served. Every event is also a log line, and is handed to the
 * node's listeners (its metrics): what the node reports and what it measures cannot disagree.
 */
public final class EventPublisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EventPublisher.class);
    /** The log field (MDC key) that names the request a log line is about. */
    public static final String LOG_FIELD = "requestId";

    private final JMSContext context;
    private final Topic topic;
    private final String node;
    private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();

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

    /** Told every event this node publishes, after it was sent; a listener that fails is only logged. */
    public void addListener(Consumer<Event> listener) {
        listeners.add(listener);
    }

    public synchronized void publish(Event event) {
        String json = Messages.toJson(event);
        JMSProducer producer = context.createProducer()
                .setProperty(Queues.PROP_EVENT_TYPE, event.type().wireName());
        if (event.requestId() != null) {
            // Progress goes only to followers that select it: clients older than progress events
            // select requestId alone, and would stop at a type they cannot read.
            producer.setProperty(
                    event.type().isProgress() ? Queues.PROP_PROGRESS_OF : Queues.PROP_REQUEST_ID,
                    event.requestId().toString());
        }
        if (event.reason() != null) {
            producer.setProperty(Queues.PROP_REASON, event.reason().code());
        }
        producer.send(topic, json);
        tellListeners(event);
        // Published from any thread (a recovery, the pruner): the line names its request itself.
        String previous = MDC.get(LOG_FIELD);
        MDC.put(LOG_FIELD, String.valueOf(event.requestId()));
        try {
            if (event.type().isProgress()) {
                LOG.debug("{} {}", event.type().wireName(), event.stats());
            } else if (event.reason() != null) {
                LOG.warn(
                        "{} {}: {} {}",
                        event.type().wireName(),
                        event.reason().code(),
                        event.detail(),
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

    private void tellListeners(Event event) {
        for (Consumer<Event> listener : listeners) {
            try {
                listener.accept(event);
            } catch (RuntimeException e) {
                LOG.warn(
                        "[{}] a listener failed on the {} event: {}",
                        event.requestId(),
                        event.type().wireName(),
                        e.toString());
            }
        }
    }

    @Override
    public void close() {
        context.close();
    }
}
