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
    private final List<ActiveMQConnectionFactory> factories = new ArrayList<>();
    private final List<JMSContext> contexts = new ArrayList<>();
    private final List<String> unreadable = new CopyOnWriteArrayList<>();

    /** @param brokers node name to broker URL */
    EventAudit(Map<String, String> brokers, String user, String password) {
        brokers.forEach((node, url) -> {
            Map<UUID, List<Event>> events = new ConcurrentHashMap<>();
            byNode.put(node, events);
            var factory = new ActiveMQConnectionFactory(url);
            factory.setUseTopologyForLoadBalancing(false);
            factories.add(factory);
            JMSContext context = factory.createContext(user, password, JMSContext.AUTO_ACKNOWLEDGE);
            contexts.add(context);
            context.createConsumer(context.createTopic(Queues.EVENTS))
                    .setMessageListener(message -> record(node, events, message));
        });
    }

    private void record(String node, Map<UUID, List<Event>> events, Message message) {
        try {
            Event event = Messages.fromJson(((TextMessage) message).getText(), Event.class);
            events.computeIfAbsent(event.requestId(), id -> new CopyOnWriteArrayList<>()).add(event);
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
        return events(node, requestId).stream().filter(event -> event.type() == type).count();
    }

    /** The first {@code restored} or {@code failed} any node saw for the request. */
    Optional<Event> end(UUID requestId) {
        return byNode.keySet().stream().flatMap(node -> events(node, requestId).stream())
                .filter(event -> event.type() == EventType.RESTORED || event.type() == EventType.FAILED)
                .findFirst();
    }

    /** Requests of other tests or nobody's: ids seen that are not in {@code known}. */
    List<UUID> strangers(Collection<UUID> known) {
        return byNode.values().stream().flatMap(events -> events.keySet().stream()).distinct()
                .filter(id -> !known.contains(id)).toList();
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

    @Override
    public void close() {
        contexts.forEach(JMSContext::close);
        factories.forEach(ActiveMQConnectionFactory::close);
    }
}
