package dev.rfork.client;

import dev.rfork.message.Event;
import dev.rfork.message.ForkRequest;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Sends fork requests to this node and follows them: through the broker ({@link RforkClient}) or,
 * on the node itself, through the worker's local socket ({@link WorkerSocket}).
 */
public interface RequestSender extends AutoCloseable {
    /** Sends the request and returns its id once it is queued. */
    UUID submit(ForkRequest request);

    /** Sends the request and follows it until it ends or {@code timeout} passes. */
    Outcome forkAndWait(ForkRequest request, Duration timeout, Consumer<Event> onEvent);

    /** As {@link #forkAndWait}, for a request with several targets: one outcome per target, in order. */
    List<Outcome> forkAndWaitAll(ForkRequest request, Duration timeout, Consumer<Event> onEvent);

    @Override
    void close();
}
