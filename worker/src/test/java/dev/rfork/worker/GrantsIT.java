package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.address.Queues;
import dev.rfork.broker.SenderStamp;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.client.WorkerSocket;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.worker.criu.ProcFs;
import jakarta.jms.JMSContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.qpid.jms.JmsConnectionFactory;
import org.junit.jupiter.api.Test;

/**
 * Who may fork what: the broker says which account sent a request, the node's grants decide.
 * Here the app account may fork only processes of UID 4242, the worker account any.
 */
@OneNodeTest.NodeSettings("fork-grants=app=4242;worker=*")
class GrantsIT extends OneNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void anAccountMayNotForkProcessesOfAnOwnerNotGrantedToIt() throws Exception {
        long pid = processes.startCounter(work.resolve("app.out"));

        Outcome outcome;
        try (RforkClient app = node.client()) {
            outcome = app.forkAndWait(ForkRequest.of(pid, "127.0.0.1", Mode.FORK), WAIT, event -> {});
        }

        assertThat(outcome.status()).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).isEqualTo(Reason.FORBIDDEN);
        assertThat(outcome.detail()).contains("'app'").contains("RFORK_FORK_GRANTS");
        assertThat(outcome.events().get(outcome.events().size() - 1).evidence())
                .containsEntry("user", "app")
                .containsEntry("uid", Long.toString(ProcFs.uid(pid).orElseThrow()));
        assertThat(TestProcesses.state(pid)).isIn("S", "R");
    }

    @Test
    void aRequestOnTheWorkersLocalSocketHasTheApplicationAccountsGrant() throws Exception {
        long pid = processes.startCounter(work.resolve("socket.out"));

        Outcome outcome;
        try (WorkerSocket socket = WorkerSocket.connect(node.config().home()).orElseThrow()) {
            outcome = socket.forkAndWait(ForkRequest.of(pid, "127.0.0.1", Mode.FORK), WAIT, event -> {});
        }

        assertThat(outcome.status()).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).isEqualTo(Reason.FORBIDDEN);
        assertThat(outcome.events().get(outcome.events().size() - 1).evidence()).containsEntry("user", "app");
        assertThat(TestProcesses.state(pid)).isIn("S", "R");
    }

    @Test
    void anAccountGrantedEveryOwnerMayForkTheSameProcess() throws Exception {
        Path output = work.resolve("worker.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 2);

        Outcome outcome;
        try (RforkClient worker = RforkClient.connect(
                node.brokerUrl(), node.config().workerUser(), node.config().workerPassword())) {
            outcome = worker.forkAndWait(ForkRequest.of(pid, "127.0.0.1", Mode.FORK), WAIT, event -> {});
        }

        assertThat(outcome.status())
                .as("%s: %s", outcome.reason(), outcome.detail())
                .isEqualTo(Outcome.RESTORED);
        processes.track(outcome.childPid());
    }

    @Test
    void anAmqpClientCannotClaimAnotherAccountsNameEither() throws Exception {
        long pid = processes.startCounter(work.resolve("amqp.out"));
        ForkRequest request = ForkRequest.of(pid, "127.0.0.1", Mode.FORK);

        Outcome outcome;
        try (RforkClient app = node.client()) {
            outcome = app.follow(
                    request.requestId(),
                    Mode.FORK,
                    "127.0.0.1",
                    WAIT,
                    () -> {
                        JmsConnectionFactory amqp = new JmsConnectionFactory(
                                node.config().appUser(),
                                node.config().appPassword(),
                                TestTls.amqpUrl(node.config().brokerPort()));
                        try (JMSContext context = amqp.createContext()) {
                            context.createProducer()
                                    .setProperty(
                                            Queues.PROP_REQUEST_ID,
                                            request.requestId().toString())
                                    .setProperty(
                                            SenderStamp.PROPERTY, node.config().workerUser())
                                    .send(context.createQueue(Queues.CHECKPOINT), Messages.toJson(request));
                        }
                    },
                    event -> {});
        }

        assertThat(outcome.reason())
                .as("%s: %s", outcome.status(), outcome.detail())
                .isEqualTo(Reason.FORBIDDEN);
        assertThat(outcome.events().get(outcome.events().size() - 1).evidence()).containsEntry("user", "app");
    }

    @Test
    void aClientCannotClaimAnotherAccountsName() throws Exception {
        long pid = processes.startCounter(work.resolve("spoof.out"));
        ForkRequest request = ForkRequest.of(pid, "127.0.0.1", Mode.FORK);

        Outcome outcome;
        try (RforkClient app = node.client()) {
            outcome = app.follow(
                    request.requestId(),
                    Mode.FORK,
                    "127.0.0.1",
                    WAIT,
                    () -> {
                        try (Stomp stomp = new Stomp(
                                node.config().brokerPort(),
                                node.config().appUser(),
                                node.config().appPassword())) {
                            // The broker overwrites this header with the account that really logged in.
                            stomp.send(
                                    Queues.CHECKPOINT,
                                    Map.of(
                                            Queues.PROP_REQUEST_ID,
                                            request.requestId().toString(),
                                            SenderStamp.PROPERTY,
                                            node.config().workerUser(),
                                            "_AMQ_VALIDATED_USER",
                                            node.config().workerUser()),
                                    Messages.toJson(request));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    },
                    event -> {});
        }

        assertThat(outcome.reason())
                .as("%s: %s", outcome.status(), outcome.detail())
                .isEqualTo(Reason.FORBIDDEN);
        assertThat(outcome.events().get(outcome.events().size() - 1).evidence()).containsEntry("user", "app");
    }
}
