package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.address.Queues;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Messages a JMS client (CORE) can send that are no request: the broker takes them (they decode),
 * the worker answers each under the request id its property names, dead-letters it and serves on.
 */
class MalformedCoreMessagesIT extends OneNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @ParameterizedTest(name = "{0}")
    @ValueSource(
            strings = {
                "an ObjectMessage",
                "a MapMessage",
                "a BytesMessage that is not UTF-8",
                "a TextMessage whose pid is a string"
            })
    void aMessageThatIsNoRequestIsAnsweredDeadLetteredAndTheNodeServesOn(String kind) throws Exception {
        UUID requestId = UUID.randomUUID();
        ActiveMQConnectionFactory core = new ActiveMQConnectionFactory(
                node.brokerUrl(), node.config().appUser(), node.config().appPassword());
        Outcome outcome;
        try (core;
                JMSContext app = core.createContext();
                RforkClient client = node.client()) {
            Message message = message(app, kind, requestId);
            message.setStringProperty(Queues.PROP_REQUEST_ID, requestId.toString());
            outcome = client.follow(
                    requestId,
                    Mode.FORK,
                    "127.0.0.1",
                    WAIT,
                    () -> app.createProducer().send(app.createQueue(Queues.CHECKPOINT), message),
                    event -> {});
        }

        assertThat(outcome.status()).as("%s", outcome).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).as(outcome.detail()).isEqualTo(Reason.MALFORMED_MESSAGE);
        // Sent in the transaction that acknowledges the message, which commits after the event.
        Await.until(
                "a dead letter for " + kind,
                WAIT,
                () -> node.deadLetters().stream()
                        .anyMatch(letter -> Reason.MALFORMED_MESSAGE.code().equals(property(letter, Queues.PROP_REASON))
                                && Objects.equals(outcome.detail(), property(letter, "detail"))));
        try (RforkClient client = node.client()) {
            processes.assertTheNextForkIsServed(client, "127.0.0.1");
        }
    }

    private static Message message(JMSContext app, String kind, UUID requestId) throws JMSException {
        return switch (kind) {
            case "an ObjectMessage" -> app.createObjectMessage(new ArrayList<>(List.of("pid", 1234)));
            case "a MapMessage" -> {
                var map = app.createMapMessage();
                map.setLong("pid", 1234);
                map.setString("target", "127.0.0.1");
                yield map;
            }
            case "a BytesMessage that is not UTF-8" -> {
                var bytes = app.createBytesMessage();
                bytes.writeBytes(new byte[] {(byte) 0xff, (byte) 0xfe, '{', '}'});
                yield bytes;
            }
            case "a TextMessage whose pid is a string" ->
                app.createTextMessage("{\"version\": 1, \"requestId\": \"" + requestId
                        + "\", \"pid\": \"the editor\", \"target\": \"127.0.0.1\", \"mode\": \"fork\"}");
            default -> throw new IllegalArgumentException(kind);
        };
    }

    private static String property(Message message, String name) {
        try {
            return message.getStringProperty(name);
        } catch (JMSException e) {
            return null;
        }
    }
}
