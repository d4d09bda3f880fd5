package dev.rfork.worker.serve;

import dev.rfork.address.Queues;
import dev.rfork.broker.SenderStamp;
import dev.rfork.message.EventType;
import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import dev.rfork.worker.events.EventPublisher;
import dev.rfork.worker.events.RequestEvents;
import jakarta.jms.BytesMessage;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The one consumer of one queue: takes a message, lets the handler serve it, then decides its
 * fate from the failure's reason. A bad message is answered and dead-lettered; a transient
 * failure is rolled back for redelivery until the attempts run out; nothing kills the loop.
 */
public final class ServeLoop implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(ServeLoop.class);
    private static final long MAX_REOPEN_WAIT_MILLIS = 30_000;

    private final String queue;
    private final JMSContext transaction;
    private final Handler handler;
    private final EventPublisher events;
    private final int maxAttempts;
    private volatile boolean running = true;

    public ServeLoop(String queue, JMSContext transaction, Handler handler, EventPublisher events, int maxAttempts) {
        this.queue = queue;
        this.transaction = transaction;
        this.handler = handler;
        this.events = events;
        this.maxAttempts = maxAttempts;
    }

    @Override
    public void run() {
        int failures = 0;
        while (running) {
            try (JMSConsumer consumer = transaction.createConsumer(transaction.createQueue(queue))) {
                if (failures > 0) {
                    LOG.info("consuming {} again after {} failed attempt(s)", queue, failures);
                    failures = 0;
                }
                while (running) {
                    Message message = consumer.receive(500);
                    if (message != null) {
                        serve(message);
                    }
                }
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                // A consumer the broker closed (or a session that broke) is opened again, never
                // polled in a loop: waiting longer each time keeps a lasting fault to a log line
                // every half minute.
                failures++;
                long waitMillis = Math.min(MAX_REOPEN_WAIT_MILLIS, 250L << Math.min(failures, 7));
                LOG.warn(
                        "consumer of {} failed ({}); opening a new one in {} ms (attempt {})",
                        queue,
                        e.getMessage(),
                        waitMillis,
                        failures);
                rollbackQuietly();
                pause(waitMillis);
            }
        }
    }

    private void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private void serve(Message message) {
        Delivery delivery = new Delivery(
                transaction, deliveryCount(message), requestIdHint(message), sender(message), messageId(message));
        // Every line logged while this message is served names its request (log field requestId).
        try (MDC.MDCCloseable about =
                MDC.putCloseable(EventPublisher.LOG_FIELD, String.valueOf(delivery.requestId()))) {
            serve(message, delivery);
        }
    }

    private void serve(Message message, Delivery delivery) {
        String body = null;
        try {
            body = body(message);
            handler.handle(body, delivery);
            if (!delivery.committed()) {
                delivery.commit();
            }
        } catch (MessageException e) {
            decide(delivery, body, e);
        } catch (Exception e) {
            LOG.error("unexpected failure serving a message from {}", queue, e);
            decide(
                    delivery,
                    body,
                    new MessageException(
                            Reason.INTERNAL_ERROR,
                            String.valueOf(e),
                            Map.of("exception", e.getClass().getName()),
                            e));
        }
    }

    private void decide(Delivery delivery, String body, MessageException failure) {
        Settlement settlement = Settlement.of(
                failure.reason().disposition(), delivery.deliveryCount(), maxAttempts, delivery.committed());
        try {
            switch (settlement) {
                case REPORT -> {
                    publish(delivery, delivery.failureType(), failure);
                    delivery.failedFinally();
                }
                case RETRY -> {
                    publish(delivery, EventType.RETRYING, failure);
                    transaction.rollback();
                }
                case ANSWER, DEAD_LETTER -> {
                    publish(delivery, delivery.failureType(), failure);
                    if (settlement == Settlement.DEAD_LETTER) {
                        deadLetter(body, failure);
                    }
                    transaction.commit();
                    delivery.failedFinally();
                }
            }
        } catch (RuntimeException e) {
            LOG.error("could not settle the message after {}; it will be redelivered", failure.reason(), e);
            rollbackQuietly();
        }
    }

    private void publish(Delivery delivery, EventType type, MessageException failure) {
        Map<String, String> evidence = new LinkedHashMap<>(failure.evidence());
        evidence.put("attempt", Integer.toString(delivery.deliveryCount()));
        RequestEvents about = events.about(delivery.requestId(), delivery.mode(), delivery.pid());
        // A restore's failure is about this node's copy only (a request may have several targets).
        RequestEvents reporting = queue.startsWith(Queues.RESTORE_PREFIX) ? about.forTarget(events.node()) : about;
        reporting.publish(type, event -> event.withFailure(failure.reason(), failure.getMessage(), evidence));
    }

    /** A copy of the message goes to the dead-letter queue with the reason, in the same transaction. */
    private void deadLetter(String body, MessageException failure) {
        transaction
                .createProducer()
                .setProperty(Queues.PROP_REASON, failure.reason().code())
                .setProperty("detail", String.valueOf(failure.getMessage()))
                .setProperty("originalQueue", queue)
                .send(transaction.createQueue(Queues.DEAD_LETTER), body == null ? "" : body);
    }

    private static String body(Message message) throws JMSException {
        if (message instanceof TextMessage text) {
            return text.getText();
        }
        // STOMP frames with a content-length header arrive as bytes.
        if (message instanceof BytesMessage bytes) {
            byte[] data = new byte[(int) Math.min(bytes.getBodyLength(), 1 << 20)];
            bytes.readBytes(data);
            return new String(data, StandardCharsets.UTF_8);
        }
        throw new MessageException(
                Reason.MALFORMED_MESSAGE,
                "expected a text message with a JSON body, got "
                        + message.getClass().getSimpleName());
    }

    /** Lets a request whose body cannot be read still be answered under its id. */
    private static UUID requestIdHint(Message message) {
        try {
            String value = message.getStringProperty(Queues.PROP_REQUEST_ID);
            return value == null ? null : UUID.fromString(value);
        } catch (JMSException | IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Who sent it, as the broker authenticated them: the broker's SenderStamp plugin writes this
     * property into every message, over anything the client set, so no one can claim another name.
     */
    private static String sender(Message message) {
        try {
            return message.getStringProperty(SenderStamp.PROPERTY);
        } catch (JMSException e) {
            return null;
        }
    }

    /** The id the broker stamped on the message when it was sent (STOMP and AMQP may have none of their own). */
    private static String messageId(Message message) {
        try {
            return message.getStringProperty(SenderStamp.MESSAGE_ID);
        } catch (JMSException e) {
            return null;
        }
    }

    private static int deliveryCount(Message message) {
        try {
            return message.getIntProperty("JMSXDeliveryCount");
        } catch (JMSException | NumberFormatException e) {
            return 1;
        }
    }

    private void rollbackQuietly() {
        try {
            transaction.rollback();
        } catch (RuntimeException e) {
            LOG.warn("rollback on {} failed: {}", queue, e.getMessage());
        }
    }

    public void stop() {
        running = false;
    }
}
