package dev.rfork.client;

import dev.rfork.address.Queues;
import dev.rfork.message.Event;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.JMSRuntimeException;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

/**
 * What an application uses to ask for forks: send a {@link ForkRequest} to the local node's
 * {@code checkpoint} queue and follow the request's events to its end.
 *
 * <pre>{@code
 * try (var client = RforkClient.connect("tcp://127.0.0.1:61616", "app", secret)) {
 *     Outcome outcome = client.forkAndWait(ForkRequest.of(pid, "10.0.0.5", Mode.FORK),
 *             Duration.ofSeconds(60), event -> System.out.println(event.type()));
 * }
 * }</pre>
 */
public final class RforkClient implements RequestSender {
    /** How often a wait wakes up to check whether to give up. */
    private static final Duration POLL = Duration.ofMillis(100);

    private final ActiveMQConnectionFactory factory;
    private final JMSContext context;
    /** The node whose broker this is: it serves the requests sent here (their source). */
    private final String node;

    private RforkClient(ActiveMQConnectionFactory factory, JMSContext context, String node) {
        this.factory = factory;
        this.context = context;
        this.node = node;
    }

    /**
     * Connects to the broker of the node the URL names (its host is taken as the node's address,
     * the source of every request sent here). With TLS the URL carries it (see
     * {@link ClientSettings#from}); when the node's address differs from the URL's host (a node
     * 10.0.0.5 reached on 127.0.0.1), use {@link #connect(String, String, String, String)}.
     */
    public static RforkClient connect(String brokerUrl, String user, String password) {
        return connect(brokerUrl, user, password, BrokerUrl.host(brokerUrl));
    }

    /**
     * Connects to the broker of {@code node}. Reconnection is off on purpose: a process that is
     * checkpointed must never have a copy that resumes this client's session.
     */
    public static RforkClient connect(String brokerUrl, String user, String password, String node) {
        var factory = new ActiveMQConnectionFactory(brokerUrl);
        factory.setReconnectAttempts(0);
        factory.setInitialConnectAttempts(1);
        // Stay on this node's broker: with the cluster's topology the client would balance its
        // connections over all nodes, and a fork request would reach another node's checkpoint.
        factory.setUseTopologyForLoadBalancing(false);
        // A blocking call on a dead connection (in a restored copy) gives up quickly.
        factory.setCallTimeout(5000);
        try {
            return new RforkClient(factory, factory.createContext(user, password, JMSContext.AUTO_ACKNOWLEDGE), node);
        } catch (JMSRuntimeException e) {
            factory.close();
            throw new BrokerUnavailableException(BrokerUrl.masked(brokerUrl), e);
        }
    }

    /** Sends the request and returns at once; follow it with {@link #follow}. */
    @Override
    public UUID submit(ForkRequest request) {
        prepare(request).run();
        return request.requestId();
    }

    /** Everything but the send itself, so timings start when the request leaves. */
    private Runnable prepare(ForkRequest request) {
        request.validate();
        String json = Messages.toJson(request);
        var producer = context.createProducer()
                .setProperty(Queues.PROP_REQUEST_ID, request.requestId().toString());
        var checkpoint = context.createQueue(Queues.CHECKPOINT);
        return () -> producer.send(checkpoint, json);
    }

    /**
     * Sends the request and waits until it ends or {@code timeout} passes, handing every
     * event to {@code onEvent} as it arrives. Subscribes before sending so no event is missed.
     */
    @Override
    public Outcome forkAndWait(ForkRequest request, Duration timeout, Consumer<Event> onEvent) {
        return forkAndWait(request, timeout, onEvent, () -> false);
    }

    /** As above; stops waiting (returning the outcome so far) as soon as {@code giveUp} says so. */
    Outcome forkAndWait(ForkRequest request, Duration timeout, Consumer<Event> onEvent, BooleanSupplier giveUp) {
        try (JMSConsumer events = subscribe(request.requestId())) {
            Runnable send = prepare(request);
            Instant sentAt = Instant.now();
            send.run();
            EventSources sources = new EventSources(request.requestId(), node, request.target());
            return collect(request.requestId(), sentAt, request.mode(), sources, events, timeout, onEvent, giveUp);
        }
    }

    /**
     * Sends a request with one or several targets ({@link ForkRequest#toEach}) and waits until
     * every target has its outcome, or {@code timeout}: one {@link Outcome} per target, in the
     * request's order. The process is dumped once; one target's failure does not stop the others.
     */
    @Override
    public List<Outcome> forkAndWaitAll(ForkRequest request, Duration timeout, Consumer<Event> onEvent) {
        try (JMSConsumer events = subscribe(request.requestId())) {
            Runnable send = prepare(request);
            Instant sentAt = Instant.now();
            send.run();
            EventSources sources = new EventSources(request.requestId(), node, request.allTargets());
            TargetOutcomes targets = new TargetOutcomes(node, request.allTargets());
            Followed followed = follow(sources, feed(events), timeout, onEvent, () -> false, targets::allEnded);
            return targets.outcomes(request.requestId(), sentAt, followed.seen(), !followed.ended());
        }
    }

    /**
     * Follows the events of a request submitted elsewhere to this node, until it ends or the
     * timeout. Only this node (the source) and {@code target} may report on it.
     */
    public Outcome follow(UUID requestId, Mode mode, String target, Duration timeout, Consumer<Event> onEvent) {
        return follow(requestId, mode, target, timeout, () -> {}, onEvent);
    }

    /**
     * Subscribes to a request's events, then runs {@code send} (which sends the request by any
     * other means: STOMP, AMQP, another client), then follows the request to its end. Events
     * about it from nodes other than this one (the source) and {@code target} are ignored.
     */
    public Outcome follow(
            UUID requestId, Mode mode, String target, Duration timeout, Runnable send, Consumer<Event> onEvent) {
        try (JMSConsumer events = subscribe(requestId)) {
            Instant sentAt = Instant.now();
            send.run();
            EventSources sources = new EventSources(requestId, node, target);
            return collect(requestId, sentAt, mode, sources, events, timeout, onEvent, () -> false);
        }
    }

    /**
     * Hands every event of every request to {@code handler} until it returns true or
     * {@code timeout} passes; returns whether the handler ended the watch.
     */
    public boolean watchAll(Duration timeout, Predicate<Event> handler) {
        try (JMSConsumer events = context.createConsumer(context.createTopic(Queues.EVENTS))) {
            Instant end = Instant.now().plus(timeout);
            while (Instant.now().isBefore(end)) {
                Event event = receive(events, Duration.between(Instant.now(), end));
                if (event != null && handler.test(event)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** The request's events, its progress events included. */
    private JMSConsumer subscribe(UUID requestId) {
        return context.createConsumer(context.createTopic(Queues.EVENTS), Queues.eventsOf(requestId));
    }

    private Outcome collect(
            UUID requestId,
            Instant sentAt,
            Mode mode,
            EventSources sources,
            JMSConsumer events,
            Duration timeout,
            Consumer<Event> onEvent,
            BooleanSupplier giveUp) {
        Followed followed = follow(sources, feed(events), timeout, onEvent, giveUp, endsWith(mode));
        return Outcome.from(requestId, sentAt, followed.seen(), !followed.ended());
    }

    /** The events taken so far, and whether they ended the request (else the wait did). */
    record Followed(List<Event> seen, boolean ended) {}

    /** Whether the events so far end a request of {@code mode} with one target. */
    static Predicate<List<Event>> endsWith(Mode mode) {
        return seen -> seen.get(seen.size() - 1).type().isTerminal(mode);
    }

    private static EventFeed feed(JMSConsumer events) {
        return wait -> receive(events, wait);
    }

    /**
     * Hands each event the sources may send to {@code onEvent} until {@code ended} says the
     * events so far end the request, {@code giveUp} says stop, or the timeout passes.
     */
    static Followed follow(
            EventSources sources,
            EventFeed events,
            Duration timeout,
            Consumer<Event> onEvent,
            BooleanSupplier giveUp,
            Predicate<List<Event>> ended) {
        List<Event> seen = new ArrayList<>();
        Instant end = Instant.now().plus(timeout);
        while (Instant.now().isBefore(end) && !giveUp.getAsBoolean() && !events.ended()) {
            Event event = events.next(min(POLL, Duration.between(Instant.now(), end)));
            if (event == null || !sources.accepts(event)) {
                continue;
            }
            seen.add(event);
            onEvent.accept(event);
            if (ended.test(seen)) {
                return new Followed(seen, true);
            }
        }
        return new Followed(seen, false);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) < 0 ? a : b;
    }

    private static Event receive(JMSConsumer consumer, Duration wait) {
        long millis = Math.max(1, wait.toMillis());
        Message message = consumer.receive(millis);
        if (!(message instanceof TextMessage text)) {
            return null;
        }
        try {
            return Messages.fromJson(text.getText(), Event.class);
        } catch (JMSException e) {
            throw new JMSRuntimeException(e.getMessage(), e.getErrorCode(), e);
        }
    }

    @Override
    public void close() {
        context.close();
        factory.close();
    }

    /**
     * Drops a connection that cannot work any more (in a restored copy its socket is closed)
     * without talking to the broker: the session belongs to the original.
     */
    void abandon() {
        Thread closer = new Thread(
                () -> {
                    try {
                        close();
                    } catch (RuntimeException ignored) {
                        // The socket is already closed; there is nothing left to release cleanly.
                    }
                },
                "rfork-abandon");
        closer.setDaemon(true);
        closer.start();
    }
}
