package dev.rfork.cluster;

import dev.rfork.address.Queues;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.Messages;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

/**
 * Every event of the cluster's stream as each node's broker delivers it, independent of the
 * producers that follow their own requests: counts what the producers cannot see (a second
 * {@code restored} for one request, a node that missed an event).
 */
final class EventAudit implements AutoCloseable {
    private final Map<String, Map<UUID, List<Event>>> byNode = new LinkedHashMap<>();
    private final Map<String, String> brokers;
    private final String user;
    private final String password;
    private final Map<String, ActiveMQConnectionFactory> factories = new ConcurrentHashMap<>();
    private final Map<String, JMSContext> contexts = new ConcurrentHashMap<>();
    private final List<String> unreadable = new CopyOnWriteArrayList<>();

    /** @param brokers node name to broker URL */
    EventAudit(Map<String, String> brokers, String user, String password) {
        this.brokers = Map.copyOf(brokers);
        this.user = user;
        this.password = password;
        brokers.keySet().forEach(node -> {
            byNode.put(node, new ConcurrentHashMap<>());
            subscribe(node);
        });
    }

    private void subscribe(String node) {
        var factory = new ActiveMQConnectionFactory(brokers.get(node));
        factory.setUseTopologyForLoadBalancing(false);
        factories.put(node, factory);
        JMSContext context = factory.createContext(user, password, JMSContext.AUTO_ACKNOWLEDGE);
        contexts.put(node, context);
        Map<UUID, List<Event>> events = byNode.get(node);
        context.createConsumer(context.createTopic(Queues.EVENTS))
                .setMessageListener(message -> record(node, events, message));
    }

    /**
     * Follows {@code node}'s stream again after its broker restarted (the connection does not
     * reconnect by itself); what it delivered meanwhile is lost to this audit, not to the others.
     */
    void resubscribe(String node) {
        closeQuietly(node);
        subscribe(node);
    }

    private void closeQuietly(String node) {
        try {
            contexts.remove(node).close();
        } catch (RuntimeException e) {
            // a connection to a broker that went away may fail to close; it is dropped either way
        }
        factories.remove(node).close();
    }

    private void record(String node, Map<UUID, List<Event>> events, Message message) {
        try {
            Event event = Messages.fromJson(((TextMessage) message).getText(), Event.class);
            events.computeIfAbsent(event.requestId(), id -> new CopyOnWriteArrayList<>())
                    .add(event);
        } catch (JMSException | RuntimeException e) {
            unreadable.add(node + ": " + e);
        }
    }

    Collection<String> nodes() {
        return byNode.keySet();
    }

    List<Event> events(String node, UUID requestId) {
        return byNode.get(node).getOrDefault(requestId, List.of());
    }

    long count(String node, UUID requestId, EventType type) {
        return events(node, requestId).stream()
                .filter(event -> event.type() == type)
                .count();
    }

    /**
     * The count of the request's events of {@code type} in {@code node}'s stream once it reaches
     * {@code atLeast}, or when {@code timeout} has passed: the cluster carries an event to the
     * other brokers a little after the client that asked has it.
     */
    long awaitCount(String node, UUID requestId, EventType type, long atLeast, Duration timeout)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (count(node, requestId, type) < atLeast && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        return count(node, requestId, type);
    }

    /** The first {@code restored} or {@code failed} any node saw for the request. */
    Optional<Event> end(UUID requestId) {
        return byNode.keySet().stream()
                .flatMap(node -> events(node, requestId).stream())
                .filter(event -> event.type() == EventType.RESTORED || event.type() == EventType.FAILED)
                .findFirst();
    }

    /** Requests of other tests or nobody's: ids seen that are not in {@code known}. */
    List<UUID> strangers(Collection<UUID> known) {
        return byNode.values().stream()
                .flatMap(events -> events.keySet().stream())
                .distinct()
                .filter(id -> !known.contains(id))
                .toList();
    }

    List<String> unreadable() {
        return List.copyOf(unreadable);
    }

    /** Waits until every request has ended somewhere in the stream, or the deadline; returns those that did not. */
    List<UUID> awaitEnds(Collection<UUID> requestIds, Instant deadline) throws InterruptedException {
        List<UUID> open = new ArrayList<>(requestIds);
        while (true) {
            open.removeIf(id -> end(id).isPresent());
            if (open.isEmpty() || Instant.now().isAfter(deadline)) {
                return open;
            }
            Thread.sleep(Duration.ofMillis(200).toMillis());
        }
    }

    /** Waits for an event of {@code type} of the request in any node's stream; empty at the deadline. */
    Optional<Event> await(UUID requestId, EventType type, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            Optional<Event> seen = byNode.keySet().stream()
                    .flatMap(node -> events(node, requestId).stream())
                    .filter(event -> event.type() == type)
                    .findFirst();
            if (seen.isPresent() || Instant.now().isAfter(deadline)) {
                return seen;
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void close() {
        List.copyOf(contexts.keySet()).forEach(this::closeQuietly);
    }
}
