package dev.rfork.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rfork.address.NodeAddress;
import dev.rfork.address.Queues;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 12, faults on the compose cluster, one cluster for the class: a target node down, a
 * target's worker that stops consuming, a migrate whose target worker dies after the hand-off, a
 * source broker that dies with requests queued, a source worker killed during an upload. Every
 * request ends (restored, or failed with its reason), no original is harmed or lost, nothing is
 * left behind ({@link Ledger}) and the next request is served. {@code rfork doctor} on node1
 * reports each peer, and the stopped one with its fixes.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeFaultsClusterIT {
    static final String NODE2 = Cluster.ADDRESSES.get("node2");
    static final String NODE3 = Cluster.ADDRESSES.get("node3");
    static final Duration WAIT = Duration.ofSeconds(120);
    /** A migrate's restore timeout short enough that it passes while the target's worker is down. */
    static final int SHORT_RESTORE_TIMEOUT_SECONDS = 3;

    static Cluster cluster;
    static Counters counters;
    static EventAudit audit;
    static Ledger ledger;

    @BeforeAll
    static void up() throws InterruptedException {
        cluster = new Cluster().start();
        counters = new Counters(cluster);
        ledger = new Ledger(cluster, counters, WAIT);
        audit = new EventAudit(cluster.brokerUrls(), "app", cluster.secret("APP"));
        // Let every broker learn of the others' subscriptions before the first event.
        Thread.sleep(2000);
    }

    @AfterAll
    static void down() {
        try {
            if (audit != null) {
                audit.close();
            }
            if (ledger != null) {
                assertThat(ledger.stopAll())
                        .as("every test process and copy ends when asked, by PID")
                        .isEmpty();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    @Test
    @Order(1)
    void aForkToAStoppedNodeFailsTargetUnreachableAndTheNextForkIsServedOnceTheNodeIsBack() throws Exception {
        long original = ledger.original("node1");
        assertThat(doctorOnNode1().failures())
                .as("doctor on node1 with every node up")
                .isEmpty();
        cluster.stopNode("node3");
        Outcome outcome;
        Doctor stopped;
        try {
            stopped = doctorOnNode1();
            outcome = request("node1", ForkRequest.of(original, NODE3, Mode.FORK));
        } finally {
            cluster.startNode("node3");
            cluster.awaitHealthy("node3", Duration.ofMinutes(2));
            audit.resubscribe("node3");
        }

        assertThat(stopped.failures())
                .as("doctor on node1 with node3 stopped")
                .extracting(check -> check.get("name").asText())
                .containsExactly("peer " + NODE3 + " broker", "peer " + NODE3 + " FTP", "peer " + NODE3 + " CRIU, CPU");
        assertThat(stopped.failures())
                .allSatisfy(check -> assertThat(check.get("fix").asText()).startsWith("start " + NODE3 + "'s"));
        assertThat(stopped.checks())
                .as("node2 is still checked and fine")
                .anySatisfy(check -> assertThat(check.get("name").asText() + " "
                                + check.get("ok").asBoolean())
                        .isEqualTo("peer " + NODE2 + " FTP true"));
        assertThat(outcome.status()).as(outcome.toString()).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).as(outcome.detail()).isEqualTo(Reason.TARGET_UNREACHABLE);
        assertThat(audit.count("node1", outcome.requestId(), EventType.RETRYING))
                .as("the upload was tried again before the request failed")
                .isPositive();
        ledger.assertNothingLeftBehind();
        ledger.served("node1", original, "node3", Mode.FORK);
    }

    @Test
    @Order(2)
    void aRestoreRequestWaitsInTheTargetsQueueWhileItsWorkerIsStoppedAndIsServedWhenItRunsAgain() throws Exception {
        long original = ledger.original("node1");
        long worker = cluster.workerPid("node3");
        ForkRequest fork = ForkRequest.of(original, NODE3, Mode.FORK);
        CompletableFuture<Outcome> pending;
        cluster.sh("node3", "kill -STOP " + worker);
        try {
            pending = requestAsync("node1", fork);
            assertThat(audit.await(fork.requestId(), EventType.RESTORE_QUEUED, WAIT))
                    .isPresent();
            String queue = Queues.restore(NodeAddress.parse(NODE3));
            assertThat(awaitDepth("node3", queue, 1))
                    .as("the restore request waits in " + queue)
                    .isEqualTo(1);
            Thread.sleep(2000);
            assertThat(audit.count("node3", fork.requestId(), EventType.RESTORED))
                    .isZero();
        } finally {
            cluster.sh("node3", "kill -CONT " + worker);
        }

        ledger.restored(pending.get(WAIT.toSeconds(), TimeUnit.SECONDS), "node1", original, "node3");
        ledger.assertNothingLeftBehind();
    }

    @Test
    @Order(3)
    void aMigrateWhoseTargetWorkerDiesAfterTheHandOffResumesTheOriginalAndTheNextMigrateIsServed() throws Exception {
        // node3: its FTP server (vsftpd) takes the images while its worker is stopped; node2's is
        // the worker's own. A copy node3's worker restored (its child) must outlive that worker.
        ledger.served("node1", ledger.original("node1"), "node3", Mode.FORK);
        long original = ledger.original("node1");
        long worker = cluster.workerPid("node3");
        ForkRequest migrate =
                ForkRequest.of(original, NODE3, Mode.MIGRATE).withRestoreTimeoutSeconds(SHORT_RESTORE_TIMEOUT_SECONDS);
        // Stopped first, so that the restore request is certainly queued, not yet taken, at the kill.
        cluster.sh("node3", "kill -STOP " + worker);
        CompletableFuture<Outcome> pending;
        try {
            pending = requestAsync("node1", migrate);
            assertThat(audit.await(migrate.requestId(), EventType.RESTORE_QUEUED, WAIT))
                    .isPresent();
        } finally {
            cluster.sh("node3", "kill -KILL " + worker);
        }
        Outcome outcome = pending.get(WAIT.toSeconds(), TimeUnit.SECONDS);

        assertThat(outcome.status()).as(outcome.toString()).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).as(outcome.detail()).isEqualTo(Reason.RESTORE_TIMEOUT);
        assertThat(outcome.events()).extracting(Event::type).contains(EventType.ROLLED_BACK);
        cluster.awaitNewWorker("node3", worker, WAIT);
        // Nor is the restore request lost: the next worker answers it, too late to restore.
        Event late = audit.await(migrate.requestId(), EventType.RESTORE_FAILED, WAIT)
                .orElseThrow(() -> new AssertionError("no answer to the restore request from node3's next worker"));
        assertThat(late.reason()).isEqualTo(Reason.DEADLINE_EXPIRED);
        assertThat(audit.await(migrate.requestId(), EventType.RESTORED, Duration.ZERO))
                .isEmpty();
        ledger.assertNothingLeftBehind();
        ledger.served("node1", original, "node3", Mode.MIGRATE);
        ledger.assertNothingLeftBehind();
    }

    @Test
    @Order(4)
    void requestsQueuedWhenTheSourceBrokerDiesAreAllServedAfterItsRestart() throws Exception {
        List<Long> originals = ledger.originals("node1", 4);
        long worker = cluster.workerPid("node1");
        long broker = cluster.brokerPid("node1");
        List<ForkRequest> requests = new ArrayList<>();
        for (int i = 0; i < originals.size(); i++) {
            requests.add(ForkRequest.of(originals.get(i), i % 2 == 0 ? NODE2 : NODE3, Mode.FORK));
        }
        // Stopped, the worker takes none of them: they are all in the queue when the broker dies.
        cluster.sh("node1", "kill -STOP " + worker);
        try (RforkClient client = RforkClient.connect(cluster.brokerUrl("node1"), "app", cluster.secret("APP"))) {
            requests.forEach(client::submit);
        }
        assertThat(awaitDepth("node1", Queues.CHECKPOINT, requests.size())).isEqualTo(requests.size());
        cluster.sh("node1", "kill -KILL " + broker);

        cluster.awaitNewWorker("node1", worker, Duration.ofMinutes(3));
        audit.resubscribe("node1");
        List<UUID> ids = requests.stream().map(ForkRequest::requestId).toList();
        assertThat(audit.awaitEnds(ids, Instant.now().plus(WAIT)))
                .as("requests without an end")
                .isEmpty();
        for (ForkRequest request : requests) {
            Event end = audit.end(request.requestId()).orElseThrow();
            assertThat(end.type()).as(end.toString()).isEqualTo(EventType.RESTORED);
            String target = request.target().equals(NODE2) ? "node2" : "node3";
            // node1's own stream missed what was published while its broker was down.
            assertThat(audit.awaitCount(target, request.requestId(), EventType.RESTORED, 1, Duration.ofSeconds(10)))
                    .isEqualTo(1);
            ledger.copy(target, request.requestId(), end.childPid());
        }
        ledger.assertNothingLeftBehind();
        ledger.served("node1", originals.get(0), "node2", Mode.FORK);
    }

    @Test
    @Order(5)
    void aWorkerKilledDuringTheUploadOfALargeForkServesItAgainAndItIsRestoredOnce() throws Exception {
        long original = ledger.originals("node1", 1, 256).get(0);
        long worker = cluster.workerPid("node1");
        // Inside node1: SIGKILL to the worker as soon as a data connection to node2's FTP server
        // (its passive ports) is open, i.e. while the images are being uploaded.
        cluster.sh(
                "node1",
                "cat > /tmp/upload-killer.sh <<'EOF'\n"
                        + "for i in $(seq 3000); do\n"
                        + "  if ss -Htn state established dst " + NODE2
                        + " | awk '{print $4}' | grep -q ':310[0-9][0-9]$'; then\n"
                        + "    kill -KILL " + worker + " && echo killed; exit 0\n"
                        + "  fi\n"
                        + "  sleep 0.01\n"
                        + "done\n"
                        + "echo no upload seen\n"
                        + "EOF\n"
                        + "setsid bash /tmp/upload-killer.sh > /tmp/upload-killer.out 2>&1 < /dev/null &");
        ForkRequest fork = ForkRequest.of(original, NODE2, Mode.FORK);

        Outcome outcome = request("node1", fork);

        assertThat(cluster.sh("node1", "cat /tmp/upload-killer.out")).isEqualTo("killed");
        ledger.restored(outcome, "node1", original, "node2");
        assertThat(audit.count("node1", fork.requestId(), EventType.ACCEPTED))
                .as("served again after the kill")
                .isGreaterThanOrEqualTo(2);
        for (String node : audit.nodes()) {
            assertThat(audit.awaitCount(node, fork.requestId(), EventType.RESTORED, 1, Duration.ofSeconds(10)))
                    .as("restored events in " + node)
                    .isEqualTo(1);
        }
        cluster.awaitNewWorker("node1", worker, WAIT);
        ledger.assertNothingLeftBehind();
        ledger.served("node1", original, "node2", Mode.FORK);
    }

    /** {@code rfork doctor --json} in node1, as an operator runs it there; it exits 1 when a check fails. */
    private static Doctor doctorOnNode1() throws Exception {
        JsonNode report = Messages.mapper()
                .readTree(cluster.exec("node1", "rfork doctor --json").getStdout());
        List<JsonNode> checks = new ArrayList<>();
        report.get("checks").forEach(checks::add);
        return new Doctor(checks);
    }

    private record Doctor(List<JsonNode> checks) {
        List<JsonNode> failures() {
            return checks.stream().filter(check -> !check.get("ok").asBoolean()).toList();
        }
    }

    private static Outcome request(String source, ForkRequest request) {
        return cluster.forkAndWait(source, request, WAIT);
    }

    private static CompletableFuture<Outcome> requestAsync(String source, ForkRequest request) {
        return CompletableFuture.supplyAsync(() -> request(source, request));
    }

    /** The queue's depth once it reaches {@code depth}, or as it is after 30 s. */
    private static long awaitDepth(String node, String queue, long depth) throws InterruptedException {
        long seen = 0;
        for (int i = 0; i < 60 && seen < depth; i++) {
            seen = cluster.queueDepth(node, queue);
            if (seen < depth) {
                Thread.sleep(500);
            }
        }
        return seen;
    }
}
