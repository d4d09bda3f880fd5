package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.address.Queues;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSProducer;
import jakarta.jms.Topic;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A follower takes a request's events only from its source and its target: any worker of a
 * cluster may publish to {@code rfork.events}, and a terminal event about the request from a
 * third node must not end it. The events are published with the worker's account, as a worker
 * of another node would, each forged one before the genuine one on the same producer: a topic
 * delivers one producer's messages in order, so without the filter the forged one would end
 * the wait first.
 */
class EventSourcesIT extends OneNodeTest {
    private static final String STRANGER = "127.0.0.9";
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aForgedFailureFromAThirdNodeDoesNotEndTheRequest() {
        UUID requestId = UUID.randomUUID();
        Event forged = Event.of(requestId, EventType.FAILED, Mode.FORK, STRANGER)
                .withFailure(Reason.FORBIDDEN, "forged by a node that has nothing to do with it", Map.of());
        Event genuine =
                Event.of(requestId, EventType.RESTORED, Mode.FORK, "127.0.0.1").withChild("127.0.0.1", 4242L);

        List<Event> handed = new CopyOnWriteArrayList<>();
        Outcome outcome = follow(requestId, "127.0.0.1", List.of(forged, genuine), handed);

        assertThat(forged.type().isTerminal(Mode.FORK))
                .as("the forged event would end the wait")
                .isTrue();
        assertThat(outcome.status()).isEqualTo(Outcome.RESTORED);
        assertThat(outcome.childPid()).isEqualTo(4242L);
        assertThat(outcome.events()).containsExactly(genuine);
        assertThat(outcome.events()).extracting(Event::node).doesNotContain(STRANGER);
        assertThat(handed).containsExactly(genuine);
    }

    @Test
    void aForgedRestoreFromAThirdNodeDoesNotEndTheRequestAndTheTargetsFailureDoes() {
        UUID requestId = UUID.randomUUID();
        String target = TestNode.SILENT_NODE;
        Event forged =
                Event.of(requestId, EventType.RESTORED, Mode.FORK, STRANGER).withChild(STRANGER, 1L);
        Event fromTarget = Event.of(requestId, EventType.FAILED, Mode.FORK, target)
                .withFailure(Reason.TARGET_UNREACHABLE, "the target's own word", Map.of());

        List<Event> handed = new CopyOnWriteArrayList<>();
        Outcome outcome = follow(requestId, target, List.of(forged, fromTarget), handed);

        assertThat(forged.type().isTerminal(Mode.FORK))
                .as("the forged event would end the wait")
                .isTrue();
        assertThat(outcome.status()).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).isEqualTo(Reason.TARGET_UNREACHABLE);
        assertThat(outcome.childPid()).isNull();
        assertThat(outcome.events()).containsExactly(fromTarget);
        assertThat(handed).containsExactly(fromTarget);
    }

    /** Follows the request from this node (its source) while {@code events} are published in order. */
    private Outcome follow(UUID requestId, String target, List<Event> events, List<Event> handed) {
        try (JMSContext worker = node.workerConnections().createContext();
                RforkClient client = node.client()) {
            Topic topic = worker.createTopic(Queues.EVENTS);
            return client.follow(
                    requestId,
                    Mode.FORK,
                    target,
                    WAIT,
                    () -> events.forEach(event -> publish(worker, topic, event)),
                    handed::add);
        }
    }

    /** As a worker publishes an event: its JSON, with the request's id and the type as properties. */
    private static void publish(JMSContext worker, Topic topic, Event event) {
        JMSProducer producer = worker.createProducer()
                .setProperty(Queues.PROP_REQUEST_ID, event.requestId().toString())
                .setProperty(Queues.PROP_EVENT_TYPE, event.type().wireName());
        producer.send(topic, Messages.toJson(event));
    }
}
