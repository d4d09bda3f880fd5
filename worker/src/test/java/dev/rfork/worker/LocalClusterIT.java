package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.worker.criu.ProcFs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes on one machine, 127.0.0.1 and 127.0.0.2 (two loopback addresses): two workers, two
 * brokers in an Artemis cluster, FTP between them. The restore request crosses the cluster.
 * Node A also knows 127.0.0.3, where nothing runs: a node that is down.
 */
class LocalClusterIT {
    @TempDir
    Path homeA;

    @TempDir
    Path homeB;

    @TempDir
    Path work;

    private static final String DOWN = "127.0.0.3";

    TestNode nodeA;
    TestNode nodeB;
    TestProcesses processes;

    @BeforeEach
    void setUp() throws Exception {
        String brokerPort = Integer.toString(TestNode.freePort());
        String ftpPort = Integer.toString(TestNode.freePort());
        // One cluster, one set of secrets: every node gets the same.
        Map<String, String> shared = Map.of(
                "broker.port",
                brokerPort,
                "ftp.port",
                ftpPort,
                "ftp.password",
                "ftp-secret",
                "app.password",
                "app-secret",
                "worker.password",
                "worker-secret");
        nodeA = TestNode.start(homeA, with(shared, "127.0.0.1", "127.0.0.2," + DOWN));
        nodeB = TestNode.start(homeB, with(shared, "127.0.0.2", "127.0.0.1"));
        processes = new TestProcesses(work);
    }

    private static Map<String, String> with(Map<String, String> shared, String node, String peer) {
        Map<String, String> settings = new HashMap<>(shared);
        settings.put("node", node);
        settings.put("nodes", peer);
        return settings;
    }

    @AfterEach
    void tearDown() {
        processes.close();
        nodeA.close();
        nodeB.close();
    }

    @Test
    void oneRequestToTwoNodesDumpsOnceAndEachNodeRunsACopy() throws Exception {
        Path output = work.resolve("two.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 5);
        ForkRequest request = ForkRequest.toEach(pid, List.of("127.0.0.2", "127.0.0.1"), Mode.FORK);

        List<Outcome> outcomes;
        try (RforkClient client = nodeA.client()) {
            outcomes = client.forkAndWaitAll(request, Duration.ofSeconds(90), event -> {});
        }

        assertThat(outcomes).extracting(Outcome::node).containsExactly("127.0.0.2", "127.0.0.1");
        for (Outcome outcome : outcomes) {
            assertThat(outcome.status())
                    .as("%s: %s: %s", outcome.node(), outcome.reason(), outcome.detail())
                    .isEqualTo(Outcome.RESTORED);
            processes.track(outcome.childPid());
        }
        List<Event> events = outcomes.get(0).events();
        assertThat(events).filteredOn(event -> event.type() == EventType.DUMPED).hasSize(1);
        assertThat(outcomes.get(1).events())
                .filteredOn(event -> event.type() == EventType.DUMPED)
                .hasSize(1);
        // Each copy counts on from where the original was, on its own node.
        for (TestNode node : List.of(nodeB, nodeA)) {
            Outcome outcome = outcomes.get(node == nodeB ? 0 : 1);
            Path copyOutput = node.childOutput(outcome.requestId());
            TestProcesses.awaitTicks(copyOutput, TestProcesses.lastTick(copyOutput) + 2);
            assertThat(TestProcesses.ticks(copyOutput).get(0)).isGreaterThan(5);
            assertThat(ProcFs.isRunning(outcome.childPid())).isTrue();
        }
        assertThat(outcomes.get(0).childPid()).isNotEqualTo(outcomes.get(1).childPid());
        assertThat(ProcFs.isRunning(pid)).isTrue();
    }

    @Test
    void aTargetThatIsDownFailsAloneAndTheOtherCopyRuns() throws Exception {
        Path output = work.resolve("down.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 3);
        ForkRequest request = ForkRequest.toEach(pid, List.of("127.0.0.2", DOWN), Mode.FORK);

        List<Outcome> outcomes;
        try (RforkClient client = nodeA.client()) {
            outcomes = client.forkAndWaitAll(request, Duration.ofSeconds(90), event -> {});
        }

        Outcome up = outcomes.get(0);
        Outcome down = outcomes.get(1);
        assertThat(up.status()).as("%s: %s", up.reason(), up.detail()).isEqualTo(Outcome.RESTORED);
        processes.track(up.childPid());
        assertThat(up.node()).isEqualTo("127.0.0.2");
        assertThat(down.status()).isEqualTo(Outcome.FAILED);
        assertThat(down.node()).isEqualTo(DOWN);
        assertThat(down.reason()).isEqualTo(Reason.TARGET_UNREACHABLE);
        assertThat(down.events())
                .filteredOn(event -> event.type() == EventType.FAILED)
                .extracting(Event::target)
                .containsExactly(DOWN);
        assertThat(ProcFs.isRunning(up.childPid())).isTrue();
        assertThat(ProcFs.isRunning(pid)).isTrue();
    }

    @Test
    void aForkCrossesTheClusterAndItsEventsAreSeenOnBothNodes() throws Exception {
        Path output = work.resolve("cross.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 5);
        List<Event> seenOnB = new CopyOnWriteArrayList<>();
        ForkRequest request = ForkRequest.of(pid, "127.0.0.2", Mode.FORK);
        CompletableFuture<Boolean> watcherOnB = CompletableFuture.supplyAsync(() -> {
            try (RforkClient client = nodeB.client()) {
                return client.watchAll(Duration.ofSeconds(90), event -> {
                    if (request.requestId().equals(event.requestId())) {
                        seenOnB.add(event);
                    }
                    return event.type() == EventType.RESTORED
                            && request.requestId().equals(event.requestId());
                });
            }
        });
        Thread.sleep(1500);

        Outcome outcome;
        try (RforkClient client = nodeA.client()) {
            outcome = client.forkAndWait(request, Duration.ofSeconds(90), event -> {});
        }

        assertThat(outcome.status())
                .as("%s: %s", outcome.reason(), outcome.detail())
                .isEqualTo(Outcome.RESTORED);
        processes.track(outcome.childPid());
        assertThat(outcome.node()).isEqualTo("127.0.0.2");
        // Each worker serves its own node's queues: the source accepts and dumps, the target restores.
        assertThat(outcome.events())
                .filteredOn(event -> event.type() == EventType.ACCEPTED)
                .extracting(Event::node)
                .containsOnly("127.0.0.1");
        assertThat(outcome.events())
                .filteredOn(event -> event.type() == EventType.RESTORED)
                .extracting(Event::node)
                .containsOnly("127.0.0.2");
        assertThat(watcherOnB.get()).as("node B saw the request end").isTrue();
        assertThat(seenOnB).extracting(Event::type).contains(EventType.ACCEPTED, EventType.RESTORED);
        Path copyOutput = nodeB.childOutput(outcome.requestId());
        TestProcesses.awaitTicks(copyOutput, TestProcesses.lastTick(copyOutput) + 3);
        assertThat(TestProcesses.ticks(copyOutput).get(0)).isGreaterThan(5);
        assertThat(ProcFs.isRunning(pid)).isTrue();
        // 'rfork status' on either node knows how it ended, though each saw only half of it happen.
        for (TestNode node : List.of(nodeA, nodeB)) {
            Outcome recorded = node.recorded(request.requestId());
            assertThat(recorded.status())
                    .as("status on %s", node.config().node())
                    .isEqualTo(Outcome.RESTORED);
            assertThat(recorded.childPid()).isEqualTo(outcome.childPid());
            assertThat(recorded.events()).extracting(Event::type).contains(EventType.ACCEPTED, EventType.RESTORED);
        }
    }
}
