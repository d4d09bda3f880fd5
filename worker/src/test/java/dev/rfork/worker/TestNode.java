package dev.rfork.worker;

import dev.rfork.address.Queues;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.config.Settings;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.events.RequestLog;
import dev.rfork.worker.spool.RestoredRecord;
import dev.rfork.worker.spool.Spool;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.QueueBrowser;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.activemq.artemis.jms.client.ActiveMQConnectionFactory;

/**
 * A real worker for tests: embedded broker and FTP server on free ports, its own home and
 * spool, real CRIU. Knows 127.0.0.2 as a node that never answers (nothing listens there).
 */
final class TestNode implements AutoCloseable {
    static final String SILENT_NODE = "127.0.0.2";

    private final Worker worker;
    private final WorkerConfig config;

    private TestNode(Worker worker, WorkerConfig config) {
        this.worker = worker;
        this.config = config;
    }

    static TestNode start(Path home) throws Exception {
        return start(home, Map.of());
    }

    static TestNode start(Path home, Map<String, String> extra) throws Exception {
        return start(home, TestTls.settings(), extra);
    }

    /**
     * A node without the shared test certificates: on a fresh home it makes its own CA and
     * certificate on first use, as a worker on a new machine does (slower: a few keytool runs).
     */
    static TestNode startFresh(Path home, Map<String, String> extra) throws Exception {
        return start(home, Map.of(), extra);
    }

    private static TestNode start(Path home, Map<String, String> tls, Map<String, String> extra) throws Exception {
        Map<String, String> overrides = new HashMap<>();
        overrides.put("home", home.toString());
        overrides.put("node", "127.0.0.1");
        overrides.put("nodes", SILENT_NODE);
        overrides.put("broker.port", Integer.toString(freePort()));
        overrides.put("ftp.port", Integer.toString(freePort()));
        overrides.put("metrics.port", Integer.toString(freePort()));
        overrides.put("cluster.password", "test-cluster-secret");
        // Any free port for passive data connections (FtpServer reads 0 as "any").
        overrides.put("ftp.passive-ports", "0");
        overrides.put("ftp.connect-timeout-seconds", "2");
        overrides.putAll(tls);
        overrides.putAll(extra);
        WorkerConfig config = WorkerConfig.creatingSecrets(Settings.load(overrides, Map.of()));
        return new TestNode(Worker.start(config), config);
    }

    /** Same home and ports: a restart of the same node. */
    static TestNode restart(WorkerConfig config) throws Exception {
        return new TestNode(Worker.start(config), config);
    }

    WorkerConfig config() {
        return config;
    }

    /** The node's Prometheus endpoint. */
    URI metricsUrl() {
        return URI.create(config.tls().httpScheme() + "://" + config.node().hostForUri() + ":" + worker.metricsPort()
                + "/metrics");
    }

    /** The node's broker as its clients reach it: with TLS unless the node runs with tls=off. */
    String brokerUrl() {
        return config.tls().clientUrl(plainBrokerUrl());
    }

    /** The broker's address without any TLS parameter: a plain-text connection. */
    String plainBrokerUrl() {
        return "tcp://" + config.node().hostForUri() + ":" + config.brokerPort();
    }

    RforkClient client() {
        return RforkClient.connect(brokerUrl(), config.appUser(), config.appPassword());
    }

    /** A connection factory with the worker's account, for what apps may not do (browse DLQ...). */
    ActiveMQConnectionFactory workerConnections() {
        ActiveMQConnectionFactory factory = new ActiveMQConnectionFactory(brokerUrl());
        factory.setUser(config.workerUser());
        factory.setPassword(config.workerPassword());
        return factory;
    }

    /** What the dead-letter queue holds now (browsed with the worker's account: apps may not). */
    @SuppressWarnings("unchecked")
    List<Message> deadLetters() {
        try (JMSContext worker = workerConnections().createContext()) {
            QueueBrowser browser = worker.createBrowser(worker.createQueue(Queues.DEAD_LETTER));
            return new ArrayList<>(Collections.list((Enumeration<Message>) browser.getEnumeration()));
        } catch (JMSException e) {
            throw new IllegalStateException("cannot browse " + Queues.DEAD_LETTER, e);
        }
    }

    /**
     * Where the request stands by this node's request log ('rfork status'), once it has ended
     * there; the log is written asynchronously, from the event stream.
     */
    Outcome recorded(UUID requestId) throws Exception {
        RequestLog log = new RequestLog(config.home());
        long deadline = System.currentTimeMillis() + 15_000;
        Outcome outcome = Outcome.known(requestId, log.events(requestId));
        while (Outcome.IN_PROGRESS.equals(outcome.status()) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
            outcome = Outcome.known(requestId, log.events(requestId));
        }
        return outcome;
    }

    Path childOutput(UUID requestId) {
        return new Spool(config.spool()).copyOutput(requestId);
    }

    void stop() {
        worker.close();
    }

    /** Stops the worker and ends every copy it restored, so no test leaves processes behind. */
    @Override
    public void close() {
        worker.close();
        try (var files = Files.list(config.spool().resolve("inbox"))) {
            for (Path restored :
                    files.filter(file -> file.toString().endsWith(".restored")).toList()) {
                RestoredRecord.read(restored)
                        .flatMap(record -> ProcessHandle.of(record.copyPid()))
                        .ifPresent(ProcessHandle::destroyForcibly);
            }
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("cannot end the copies restored by this test node", e);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
