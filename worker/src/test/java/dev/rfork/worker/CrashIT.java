package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.address.Queues;
import dev.rfork.broker.SenderStamp;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.config.Settings;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.events.RequestLog;
import dev.rfork.worker.ftp.server.EmbeddedFtpServer;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSProducer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.apache.qpid.jms.JmsConnectionFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node that dies (SIGKILL, broker included) in the middle of a migrate, and starts again. */
class CrashIT {
    @TempDir
    Path home;

    @TempDir
    Path work;

    @Test
    void aWorkerKilledBeforeTheHandOffResumesTheOriginalAndServesTheRequestAgain() throws Exception {
        int ftpPort = TestNode.freePort();
        Map<String, String> settings = WorkerProcess.settings(
                home,
                "ftp.port=" + ftpPort,
                "ftp.connect-timeout-seconds=60",
                "max-attempts=2",
                "fork-grants=app=4242;worker=*");
        RequestLog log = new RequestLog(home);
        List<Socket> held = new CopyOnWriteArrayList<>();
        // The target's "FTP server" takes connections and never answers: the upload hangs, with
        // the original held stopped, until we pull the plug on the worker.
        try (ServerSocket blackhole = new ServerSocket(ftpPort, 50, InetAddress.getByName(TestNode.SILENT_NODE));
                TestProcesses processes = new TestProcesses(work)) {
            Thread acceptor = new Thread(
                    () -> {
                        try {
                            while (true) {
                                held.add(blackhole.accept());
                            }
                        } catch (IOException closed) {
                            // the test closed it
                        }
                    },
                    "blackhole");
            acceptor.setDaemon(true);
            acceptor.start();
            Path output = work.resolve("original.out");
            long pid = processes.startCounter(output);
            TestProcesses.awaitTicks(output, 3);
            ForkRequest request = ForkRequest.of(pid, TestNode.SILENT_NODE, Mode.MIGRATE);
            // Queued behind the migrate, so journaled when the broker dies: an AMQP request of the
            // app account that claims to come from the worker account (granted every owner).
            ForkRequest spoof =
                    ForkRequest.of(processes.startCounter(work.resolve("spoof.out")), "127.0.0.1", Mode.FORK);

            try (WorkerProcess first = WorkerProcess.start(settings, work.resolve("worker-1.log"))) {
                WorkerConfig config = WorkerConfig.creatingSecrets(Settings.load(settings, Map.of()));
                try (RforkClient client = RforkClient.connect(
                        config.tls().clientUrl("tcp://127.0.0.1:" + config.brokerPort()),
                        config.workerUser(),
                        config.workerPassword())) {
                    client.submit(request);
                }
                await(log, request, events -> events.stream().anyMatch(e -> e.type() == EventType.DUMPED));
                sendOverAmqp(config, spoof, Map.of(SenderStamp.PROPERTY, config.workerUser()));
                first.kill();
            }
            assertThat(TestProcesses.state(pid))
                    .as("held stopped by the dead worker's CRIU")
                    .isEqualTo("T");

            blackhole.close();
            try (WorkerProcess second = WorkerProcess.start(settings, work.resolve("worker-2.log"))) {
                // Until the failed event itself: rolled-back already makes the outcome failed.
                List<Event> events =
                        await(log, request, all -> all.stream().anyMatch(event -> event.type() == EventType.FAILED));

                assertThat(events)
                        .filteredOn(e -> e.type() == EventType.RETRYING)
                        .anySatisfy(e ->
                                assertThat(e.detail()).contains("restarted").contains("resumed"));
                assertThat(events).filteredOn(e -> e.type() == EventType.FAILED).hasSize(1);
                Event last = events.get(events.size() - 1);
                assertThat(last.type()).isEqualTo(EventType.FAILED);
                assertThat(last.reason()).isEqualTo(Reason.TARGET_UNREACHABLE);
                int tick = TestProcesses.lastTick(output);
                TestProcesses.awaitTicks(output, tick + 3);
                assertThat(TestProcesses.state(pid)).as("the original runs on").isIn("S", "R");

                // The journal kept the broker's stamps, not the client's claim.
                List<Event> spoofed = await(
                        log,
                        spoof,
                        all -> Outcome.known(spoof.requestId(), all).status().equals(Outcome.FAILED));
                Event refused = spoofed.get(spoofed.size() - 1);
                assertThat(refused.reason()).as(refused.detail()).isEqualTo(Reason.FORBIDDEN);
                assertThat(refused.evidence()).containsEntry("user", "app");
            }
        } finally {
            for (Socket socket : held) {
                socket.close();
            }
        }
    }

    @Test
    void aWorkerKilledAfterTheHandOffEndsTheMigrateRolledBackWithTheOriginalRunning() throws Exception {
        int ftpPort = TestNode.freePort();
        Map<String, String> settings = WorkerProcess.settings(home, "ftp.port=" + ftpPort);
        RequestLog log = new RequestLog(home);
        WorkerConfig config = WorkerConfig.creatingSecrets(Settings.load(settings, Map.of()));
        // The target takes the images (an FTP server on its address) but has no worker: the
        // restore request waits, and so does the migrate, until we pull the plug.
        Path targetInbox = Files.createDirectories(work.resolve("target-inbox"));
        try (var target = EmbeddedFtpServer.start(TestNode.SILENT_NODE, config.ftp(), targetInbox);
                TestProcesses processes = new TestProcesses(work)) {
            Path output = work.resolve("original.out");
            long pid = processes.startCounter(output);
            TestProcesses.awaitTicks(output, 3);
            ForkRequest request = ForkRequest.of(pid, TestNode.SILENT_NODE, Mode.MIGRATE);

            try (WorkerProcess first = WorkerProcess.start(settings, work.resolve("worker-1.log"))) {
                try (RforkClient client = RforkClient.connect(
                        config.tls().clientUrl("tcp://127.0.0.1:" + config.brokerPort()),
                        config.appUser(),
                        config.appPassword())) {
                    client.submit(request);
                }
                await(log, request, events -> events.stream().anyMatch(e -> e.type() == EventType.RESTORE_QUEUED));
                first.kill();
            }
            assertThat(TestProcesses.state(pid))
                    .as("held stopped while the migrate waited")
                    .isEqualTo("T");

            try (WorkerProcess second = WorkerProcess.start(settings, work.resolve("worker-2.log"))) {
                // Until the failed event itself: rolled-back already makes the outcome failed.
                List<Event> events =
                        await(log, request, all -> all.stream().anyMatch(event -> event.type() == EventType.FAILED));

                assertThat(events)
                        .extracting(Event::type)
                        .containsSubsequence(EventType.RESTORE_QUEUED, EventType.ROLLED_BACK, EventType.FAILED);
                Event last = events.get(events.size() - 1);
                assertThat(last.reason()).isEqualTo(Reason.INTERNAL_ERROR);
                assertThat(last.detail()).contains("resumed").contains(TestNode.SILENT_NODE);
                int tick = TestProcesses.lastTick(output);
                TestProcesses.awaitTicks(output, tick + 3);
                assertThat(TestProcesses.state(pid)).as("the original runs on").isIn("S", "R");
            }
        }
    }

    private static void sendOverAmqp(WorkerConfig config, ForkRequest request, Map<String, String> properties) {
        JmsConnectionFactory amqp =
                new JmsConnectionFactory(config.appUser(), config.appPassword(), TestTls.amqpUrl(config.brokerPort()));
        try (JMSContext context = amqp.createContext()) {
            JMSProducer producer = context.createProducer()
                    .setProperty(Queues.PROP_REQUEST_ID, request.requestId().toString());
            properties.forEach(producer::setProperty);
            producer.send(context.createQueue(Queues.CHECKPOINT), Messages.toJson(request));
        }
    }

    static List<Event> await(RequestLog log, ForkRequest request, Predicate<List<Event>> until) throws Exception {
        long deadline = System.currentTimeMillis() + 90_000;
        List<Event> events = log.events(request.requestId());
        while (!until.test(events)) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("the request did not get there; its events: " + events);
            }
            Thread.sleep(50);
            events = log.events(request.requestId());
        }
        return events;
    }
}
