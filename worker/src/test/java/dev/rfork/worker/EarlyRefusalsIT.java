package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.worker.criu.CriuProcess;
import dev.rfork.worker.criu.ProcFs;
import dev.rfork.worker.metrics.NodeInfo;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What can be known before the freeze is answered before it: the process is never stopped, and
 * its own clock shows it (it stamps the time every millisecond; a dump would leave a gap).
 */
// Two more silent nodes: each case below has a target of its own (the node keeps what a target said).
@OneNodeTest.NodeSettings({"nodes=127.0.0.2,127.0.0.4,127.0.0.5"})
class EarlyRefusalsIT extends OneNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** Holds an exclusive flock on {@code argv[1]}, then stamps time.monotonic() every millisecond. */
    private static final String LOCKER = """
            import fcntl, sys, time
            lock = open(sys.argv[1], "w")
            fcntl.flock(lock, fcntl.LOCK_EX)
            print("tick 1", flush=True)
            stamps = open(sys.argv[2], "w")
            while True:
                stamps.write("%.6f\\n" % time.monotonic())
                stamps.flush()
                time.sleep(0.001)
            """;

    @Test
    void aSameNodeForkOfAProcessHoldingAnExclusiveLockIsRefusedBeforeAnyFreeze() throws Exception {
        Path lockFile = work.resolve("held.lock");
        Path stamps = work.resolve("stamps");
        Path output = work.resolve("locker.out");
        long pid = processes.start(
                "import sys; sys.argv = ['locker', '" + lockFile + "', '" + stamps + "']\n" + LOCKER, output);
        TestProcesses.awaitTicks(output, 1);

        Outcome outcome = forkWatchingItsClock(pid, "127.0.0.1", stamps);

        assertThat(outcome.status()).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).isEqualTo(Reason.FILE_LOCK_HELD);
        assertThat(outcome.events())
                .filteredOn(event -> event.type() == EventType.FAILED)
                .extracting(Event::evidence)
                .anySatisfy(evidence -> assertThat(evidence.get("locks")).contains("FLOCK"));
        assertThat(outcome.events()).extracting(Event::type).doesNotContain(EventType.DUMPED);
        assertThat(ProcFs.isRunning(pid)).isTrue();

        // Across nodes the lock is on another machine's file: no refusal there (the silent node
        // does not answer, so the request gets as far as the upload, after the dump).
        try (RforkClient client = node.client()) {
            Outcome elsewhere =
                    client.forkAndWait(ForkRequest.of(pid, TestNode.SILENT_NODE, Mode.FORK), WAIT, event -> {});
            assertThat(elsewhere.reason()).isNotEqualTo(Reason.FILE_LOCK_HELD);
            assertThat(elsewhere.events()).extracting(Event::type).contains(EventType.DUMPED);
        }
    }

    /**
     * A target whose CPU lacks a feature of this node's, or that runs another CRIU, says so at
     * its {@code /node}: the request is answered before the dump. The silent node's address
     * serves such a description here (HTTPS with the test certificate, as a worker would).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "lacks a CPU feature, CPU_FEATURES_MISSING, 127.0.0.4",
        "runs another CRIU,   CRIU_VERSION_MISMATCH, 127.0.0.5"
    })
    void aTargetThatCannotRunTheCopyIsRefusedBeforeAnyFreeze(String what, Reason reason, String target)
            throws Exception {
        NodeInfo here = NodeInfo.of("127.0.0.1", criuVersion());
        NodeInfo there = reason == Reason.CPU_FEATURES_MISSING
                ? new NodeInfo(
                        target,
                        here.criu(),
                        here.kernel(),
                        here.cpuFlags().subList(1, here.cpuFlags().size()))
                : new NodeInfo(target, "Version: 3.17", here.kernel(), here.cpuFlags());
        Path stamps = work.resolve("stamps-" + reason);
        Path output = work.resolve("stamper-" + reason + ".out");
        long pid = processes.start(
                "import sys; sys.argv = ['stamper', '" + work.resolve("free-" + reason + ".lock") + "', '" + stamps
                        + "']\n" + LOCKER.replace("fcntl.flock(lock, fcntl.LOCK_EX)", "pass"),
                output);
        TestProcesses.awaitTicks(output, 1);

        Outcome outcome;
        try (FakeNode fake = FakeNode.serve(target, node.metricsUrl().getPort(), there)) {
            outcome = forkWatchingItsClock(pid, target, stamps);
            assertThat(fake.asked()).as("the target was asked what it is").isPositive();
        }

        assertThat(outcome.reason())
                .as("%s: %s", outcome.status(), outcome.detail())
                .isEqualTo(reason);
        assertThat(outcome.events()).extracting(Event::type).doesNotContain(EventType.DUMPED);
        if (reason == Reason.CPU_FEATURES_MISSING) {
            assertThat(outcome.events())
                    .filteredOn(event -> event.type() == EventType.FAILED)
                    .extracting(event -> event.evidence().get("missing"))
                    .containsExactly(here.cpuFlags().get(0));
        }
        assertThat(ProcFs.isRunning(pid)).isTrue();
    }

    /** A deleted file above CRIU's ghost limit (1 MiB here): CRIU would fail the dump on it. */
    @Test
    void aProcessHoldingALargeDeletedFileIsRefusedBeforeAnyFreeze() throws Exception {
        Path ghost = work.resolve("ghost.bin");
        Path stamps = work.resolve("ghost-stamps");
        Path output = work.resolve("ghost.out");
        long pid = processes.start("""
                import os, time
                f = open("%s", "wb+")
                f.write(os.urandom(2 << 20))
                f.flush()
                os.unlink("%s")
                print("tick 1", flush=True)
                stamps = open("%s", "w")
                while True:
                    stamps.write("%%.6f\\n" %% time.monotonic())
                    stamps.flush()
                    time.sleep(0.001)
                """.formatted(ghost, ghost, stamps), output);
        TestProcesses.awaitTicks(output, 1);

        Outcome outcome = forkWatchingItsClock(pid, "127.0.0.1", stamps);

        assertThat(outcome.reason())
                .as("%s: %s", outcome.status(), outcome.detail())
                .isEqualTo(Reason.GHOST_FILE_TOO_LARGE);
        assertThat(outcome.events())
                .filteredOn(event -> event.type() == EventType.FAILED)
                .extracting(event -> event.evidence().get("size"))
                .containsExactly(Long.toString(2 << 20));
        assertThat(outcome.events()).extracting(Event::type).doesNotContain(EventType.DUMPED);
        assertThat(ProcFs.isRunning(pid)).isTrue();
    }

    /**
     * Forks {@code pid}, which stamps its clock into {@code stamps} every millisecond, and checks
     * that its stamps show no freeze while the request was answered: only its own sleeps and the
     * scheduler's (a dump would stop it for tens of milliseconds or more).
     */
    private Outcome forkWatchingItsClock(long pid, String target, Path stamps) throws Exception {
        Thread.sleep(300);
        int before = Files.readAllLines(stamps).size();
        Outcome outcome;
        try (RforkClient client = node.client()) {
            outcome = client.forkAndWait(ForkRequest.of(pid, target, Mode.FORK), WAIT, event -> {});
        }
        Thread.sleep(300);
        List<String> lines = Files.readAllLines(stamps);
        assertThat(maxGapMillis(lines.subList(before, lines.size())))
                .as(
                        "the longest gap between the process's stamps while the request was answered (%s)",
                        outcome.reason())
                .isLessThan(100);
        return outcome;
    }

    private static String criuVersion() {
        return new CriuProcess(node.config().criu()).version();
    }

    /** A peer's {@code /node}, over HTTPS with the test certificate, counting how often it was asked. */
    private static final class FakeNode implements AutoCloseable {
        private final HttpsServer server;
        private final AtomicInteger asked = new AtomicInteger();

        private FakeNode(HttpsServer server) {
            this.server = server;
        }

        static FakeNode serve(String host, int port, NodeInfo info) throws IOException {
            HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName(host), port), 4);
            server.setHttpsConfigurator(new HttpsConfigurator(TestTls.nodeTls().serverContext()));
            FakeNode fake = new FakeNode(server);
            byte[] body = Messages.toJson(info).getBytes(StandardCharsets.UTF_8);
            server.createContext(NodeInfo.PATH, exchange -> {
                fake.asked.incrementAndGet();
                try (exchange) {
                    exchange.sendResponseHeaders(200, body.length);
                    exchange.getResponseBody().write(body);
                }
            });
            server.start();
            return fake;
        }

        int asked() {
            return asked.get();
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private static double maxGapMillis(List<String> stamps) {
        double max = 0;
        for (int i = 1; i < stamps.size(); i++) {
            max = Math.max(max, (Double.parseDouble(stamps.get(i)) - Double.parseDouble(stamps.get(i - 1))) * 1000);
        }
        return max;
    }
}
