package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.address.Queues;
import dev.rfork.client.Outcome;
import dev.rfork.config.Settings;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.events.RequestLog;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.DeliveryMode;
import jakarta.jms.JMSContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;
import org.apache.qpid.jms.JmsConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests queued when the node dies (SIGKILL, broker included) are served after the restart,
 * even when the client sent them the way the docs' STOMP example does: with no
 * {@code persistent} header, or as non-persistent JMS messages over AMQP or CORE. Before the
 * broker made every request durable, all of them were lost.
 */
class DurableRequestsIT {
    private static final int REQUESTS = 5;

    @TempDir
    Path home;

    @TempDir
    Path work;

    @Test
    void requestsQueuedWhenTheNodeDiesAreServedAfterTheRestartHoweverTheyWereSent() throws Exception {
        Map<String, String> settings = WorkerProcess.settings(home);
        WorkerConfig config = WorkerConfig.creatingSecrets(Settings.load(settings, Map.of()));
        RequestLog log = new RequestLog(home);
        try (TestProcesses processes = new TestProcesses(work)) {
            List<ForkRequest> requests = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                Path output = work.resolve("original-" + i + ".out");
                requests.add(ForkRequest.of(processes.startCounter(output), "127.0.0.1", Mode.FORK));
                TestProcesses.awaitTicks(output, 1);
            }

            long servedBeforeTheKill;
            try (WorkerProcess first = WorkerProcess.start(settings, work.resolve("worker-1.log"))) {
                try (Stomp stomp = new Stomp(config.brokerPort(), config.appUser(), config.appPassword())) {
                    for (ForkRequest request : requests.subList(0, 3)) {
                        stomp.send(Queues.CHECKPOINT, Map.of(), Messages.toJson(request));
                    }
                }
                sendNonPersistent(
                        new JmsConnectionFactory(
                                config.appUser(), config.appPassword(), TestTls.amqpUrl(config.brokerPort())),
                        requests.get(3));
                sendNonPersistent(
                        new ActiveMQConnectionFactory(
                                config.tls().clientUrl("tcp://127.0.0.1:" + config.brokerPort()),
                                config.appUser(),
                                config.appPassword()),
                        requests.get(4));
                first.kill();
                servedBeforeTheKill =
                        requests.stream().filter(r -> ended(log, r)).count();
            }
            assertThat(servedBeforeTheKill)
                    .as("requests still queued when the node died")
                    .isLessThan(REQUESTS);

            try (WorkerProcess second = WorkerProcess.start(settings, work.resolve("worker-2.log"))) {
                for (ForkRequest request : requests) {
                    Outcome outcome = awaitEnd(log, request);
                    assertThat(outcome.status())
                            .as("%s: %s %s", request.requestId(), outcome.reason(), outcome.detail())
                            .isEqualTo(Outcome.RESTORED);
                    processes.track(outcome.childPid());
                    assertThat(TestProcesses.state(outcome.childPid())).isIn("S", "R");
                }
            }
        }
    }

    private static void sendNonPersistent(ConnectionFactory factory, ForkRequest request) {
        try (JMSContext context = factory.createContext()) {
            context.createProducer()
                    .setDeliveryMode(DeliveryMode.NON_PERSISTENT)
                    .send(context.createQueue(Queues.CHECKPOINT), Messages.toJson(request));
        }
    }

    private static boolean ended(RequestLog log, ForkRequest request) {
        try {
            return !Outcome.known(request.requestId(), log.events(request.requestId()))
                    .status()
                    .equals(Outcome.IN_PROGRESS);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Outcome awaitEnd(RequestLog log, ForkRequest request) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!ended(log, request)) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("request " + request.requestId() + " did not end; its events: "
                        + log.events(request.requestId()));
            }
            Thread.sleep(50);
        }
        return Outcome.known(request.requestId(), log.events(request.requestId()));
    }
}
