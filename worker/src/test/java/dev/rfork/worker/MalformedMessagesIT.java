package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.address.Queues;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import org.apache.qpid.proton.amqp.messaging.Rejected;
import org.apache.qpid.proton.amqp.transport.DeliveryState;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Messages no client library would send, put on the wire byte by byte: the broker refuses what
 * cannot be decoded, with the reason, and the node goes on serving. Before the broker refused
 * them, one such message closed the worker's consumer at every delivery and stopped the node.
 */
class MalformedMessagesIT extends OneNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // amqp-value section whose value starts with a constructor no AMQP type has
        "a body of an unknown type,             00537740ffffffff",
        // application-properties that are a string, not a map; then a valid JSON string body
        "properties that are not a map,         005374a103616263005377a1027b7d",
        // a data section that claims 1 MiB and holds 3 bytes
        "a data section shorter than it claims, 005375b000100000010203",
    })
    void anUndecodableAmqpMessageIsRefusedAndTheNodeGoesOnServing(String what, String hex) throws Exception {
        DeliveryState answer;
        try (RawAmqp amqp = new RawAmqp(
                node.config().brokerPort(),
                node.config().appUser(),
                node.config().appPassword(),
                Queues.CHECKPOINT)) {
            answer = amqp.send(HexFormat.of().parseHex(hex));
        }

        assertThat(answer).as(what).isInstanceOf(Rejected.class);
        assertThat(((Rejected) answer).getError().getDescription()).contains(Reason.MALFORMED_MESSAGE.code());
        assertTheNodeServesAFork();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // a string that is not UTF-8 (0xff 0xfe) as the body
        "a body string that is not UTF-8, 005377a104fffe7b7d",
        // a JSON text with no request in it
        "a body that is not a request,    005377a1027b7d",
    })
    void aDecodableButUnreadableAmqpMessageIsAnsweredAndTheNodeGoesOnServing(String what, String hex) throws Exception {
        try (RawAmqp amqp = new RawAmqp(
                node.config().brokerPort(),
                node.config().appUser(),
                node.config().appPassword(),
                Queues.CHECKPOINT)) {
            DeliveryState answer = amqp.send(HexFormat.of().parseHex(hex));
            // Either way is an answer: refused at the door, or taken and answered by the worker.
            assertThat(answer).as(what).isNotNull();
        }
        assertTheNodeServesAFork();
    }

    private void assertTheNodeServesAFork() throws Exception {
        Path output = work.resolve("after.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 2);
        Outcome outcome;
        try (RforkClient client = node.client()) {
            outcome = client.forkAndWait(ForkRequest.of(pid, "127.0.0.1", Mode.FORK), WAIT, event -> {});
        }
        assertThat(outcome.status())
                .as("%s: %s", outcome.reason(), outcome.detail())
                .isEqualTo(Outcome.RESTORED);
        processes.track(outcome.childPid());
    }
}
