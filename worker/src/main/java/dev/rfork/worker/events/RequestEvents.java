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
    /** The target every event is about, on a request with several; null otherwise. */
    private final String target;

    RequestEvents(EventPublisher publisher, UUID requestId, Mode mode, Long pid) {
        this(publisher, requestId, mode, pid, null);
    }

    private RequestEvents(EventPublisher publisher, UUID requestId, Mode mode, Long pid, String target) {
        this.publisher = publisher;
        this.requestId = requestId;
        this.mode = mode;
        this.pid = pid;
        this.target = target;
    }

    /** The events about one target of a request with several: each carries it ({@code target}). */
    public RequestEvents forTarget(String node) {
        return new RequestEvents(publisher, requestId, mode, pid, node);
    }

    public UUID requestId() {
        return requestId;
    }

    /** An event of this request, to be completed and published. */
    public Event event(EventType type) {
        Event event = Event.of(requestId, type, mode, publisher.node()).withPid(pid);
        return target == null ? event : event.withTarget(target);
    }

    /** Publishes the event and returns it (its {@code at} is when it happened, by this node's clock). */
    public Event publish(EventType type, UnaryOperator<Event> details) {
        Event event = details.apply(event(type));
        publisher.publish(event);
        return event;
    }
}
