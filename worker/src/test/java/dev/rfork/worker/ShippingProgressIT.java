package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.address.Queues;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.Message;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.api.Test;

/**
 * A large process forked through FTP to its own node, the images sent while CRIU writes them
 * ({@code ship.while-dumping}): the upload starts before the dump ends, and followers see it advance.
 */
@OneNodeTest.NodeSettings({"ship.local=ftp", "ship.while-dumping=true"})
class ShippingProgressIT extends OneNodeTest {

    @Test
    void aLargeUploadIsFollowedByShippingEventsThatOlderFollowersNeverSee() throws Exception {
        Path output = work.resolve("large.out");
        long pid = processes.start(TestProcesses.LARGE, output);
        TestProcesses.awaitTicks(output, 1);
        ForkRequest request = ForkRequest.of(pid, "127.0.0.1", Mode.FORK);

        List<Message> seenByOlderClients = new ArrayList<>();
        Outcome outcome;
        try (ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(node.brokerUrl());
                JMSContext context = factory.createContext(
                        node.config().appUser(), node.config().appPassword());
                // What every client selected before progress events existed.
                JMSConsumer older = context.createConsumer(
                        context.createTopic(Queues.EVENTS),
                        Queues.PROP_REQUEST_ID + " = '" + request.requestId() + "'");
                RforkClient client = node.client()) {
            outcome = client.forkAndWait(request, Duration.ofSeconds(120), event -> {});
            for (Message message = older.receive(2000); message != null; message = older.receiveNoWait()) {
                seenByOlderClients.add(message);
            }
        }
        processes.track(outcome.childPid() == null ? pid : outcome.childPid());

        assertThat(outcome.succeeded()).as(outcome.toString()).isTrue();
        List<EventType> types = outcome.events().stream().map(Event::type).toList();
        List<Event> shipping = outcome.events().stream()
                .filter(event -> event.type() == EventType.SHIPPING)
                .toList();
        assertThat(shipping).as("events: %s", types).isNotEmpty();
        assertThat(types.indexOf(EventType.SHIPPING))
                .as("the upload starts while CRIU still writes the images: %s", types)
                .isLessThan(types.indexOf(EventType.DUMPED));
        assertThat(types.lastIndexOf(EventType.SHIPPING)).isLessThan(types.indexOf(EventType.SHIPPED));
        long total = outcome.timings().get("shippedBytes");
        assertThat(total).as("a 256 MiB process").isGreaterThan(256L << 20);
        assertThat(shipping).allSatisfy(event -> {
            assertThat(event.stats().get("shippedBytes")).isPositive().isLessThanOrEqualTo(total);
            // The total is known once the dump has ended, never guessed before.
            assertThat(event.stats().getOrDefault("totalBytes", total)).isEqualTo(total);
        });
        assertThat(shipping)
                .anySatisfy(
                        event -> assertThat(event.stats().get("shippedBytes")).isLessThan(total));
        for (int i = 1; i < shipping.size(); i++) {
            long apart = Duration.between(
                            shipping.get(i - 1).at(), shipping.get(i).at())
                    .toMillis();
            assertThat(apart).as("at most about four a second").isGreaterThanOrEqualTo(200);
            assertThat(shipping.get(i).stats().get("shippedBytes"))
                    .isGreaterThanOrEqualTo(shipping.get(i - 1).stats().get("shippedBytes"));
        }
        assertThat(outcome.timings()).as("progress is no timing").doesNotContainKey("totalBytes");

        assertThat(seenByOlderClients)
                .extracting(message -> message.getStringProperty(Queues.PROP_EVENT_TYPE))
                .contains("accepted", "shipped", "restored")
                .doesNotContain("shipping");
        assertThat(node.recorded(request.requestId()).events())
                .extracting(Event::type)
                .as("'rfork status' keeps one line per step")
                .doesNotContain(EventType.SHIPPING);
    }
}
