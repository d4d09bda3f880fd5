package dev.rfork.worker.events;

import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.Mode;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * The events of one request from this node: its id, mode, PID and this node are said once, here,
 * and each step adds only what it knows ({@code e -> e.withStats(...)}).
 */
public final class RequestEvents {
    private final EventPublisher publisher;
    private final UUID requestId;
    private final Mode mode;
    private final Long pid;

    RequestEvents(EventPublisher publisher, UUID requestId, Mode mode, Long pid) {
        this.publisher = publisher;
        this.requestId = requestId;
        this.mode = mode;
        this.pid = pid;
    }

    public UUID requestId() {
        return requestId;
    }

    /** An event of this request, to be completed and published. */
    public Event event(EventType type) {
        return Event.of(requestId, type, mode, publisher.node()).withPid(pid);
    }

    /** Publishes the event and returns it (its {@code at} is when it happened, by this node's clock). */
    public Event publish(EventType type, UnaryOperator<Event> details) {
        Event event = details.apply(event(type));
        publisher.publish(event);
        return event;
    }
}
