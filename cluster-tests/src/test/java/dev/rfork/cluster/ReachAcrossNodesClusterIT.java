package dev.rfork.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rfork.client.Outcome;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * What a copy can do next, and one dump for many copies, on the three nodes of compose.yaml: a
 * copy forked on and migrated on, a JVM copy forking itself again, one request to two nodes (and
 * with one of them stopped, last), and a fork refused before its dump because the target lacks
 * a file the process holds (issue 11).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReachAcrossNodesClusterIT {
    static Cluster cluster;
    static final String NODE2 = Cluster.ADDRESSES.get("node2");
    static final String NODE3 = Cluster.ADDRESSES.get("node3");

    @BeforeAll
    static void up() {
        cluster = new Cluster().start();
    }

    @AfterAll
    static void down() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * A copy is a process like any other: forked on by the PID its node sees, node1 -> node2 ->
     * node3 -> back to node1, each copy going on from where the one before it was.
     */
    @Test
    @Order(1)
    void aCopyIsForkedOnFromNode2ToNode3AndBackToNode1AndEveryCopyCountsOn() {
        long pid = cluster.startCounter("node1", "chain");
        List<String> nodes = List.of("node1", "node2", "node3", "node1");
        List<Long> copies = new ArrayList<>(List.of(pid));
        List<String> outputs = new ArrayList<>(List.of("/tmp/chain.out"));

        for (int hop = 1; hop < nodes.size(); hop++) {
            String source = nodes.get(hop - 1);
            String target = nodes.get(hop);
            JsonNode outcome = cluster.request(source, "fork", copies.get(hop - 1), Cluster.ADDRESSES.get(target));
            assertThat(outcome.path("status").asText())
                    .as(source + " -> " + target + ": " + outcome)
                    .isEqualTo("restored");
            copies.add(outcome.path("childPid").asLong());
            outputs.add(
                    "/var/lib/rfork/spool/inbox/" + outcome.path("requestId").asText() + ".out");
            cluster.sh(target, "sleep 1");
            long[] before = cluster.ticks(source, outputs.get(hop - 1));
            long[] now = cluster.ticks(target, outputs.get(hop));
            assertThat(now[0])
                    .as("the copy on " + target + " starts where its source was")
                    .isGreaterThan(before[0]);
            assertThat(now[1]).as("and counts on").isGreaterThan(now[0]);
        }
        for (int i = 0; i < nodes.size(); i++) {
            assertThat(cluster.running(nodes.get(i), copies.get(i)))
                    .as("copy " + i + " on " + nodes.get(i))
                    .isTrue();
        }
    }

    /**
     * One request to node2 and node3: one dump (one `dumped` event), a copy on each, each reporting.
     * Asked compressed: node2's embedded FTP server takes the images compressed, node3's vsftpd
     * gets them as they are.
     */
    @Test
    @Order(2)
    void oneRequestForksToNode2AndNode3FromOneDump() {
        long pid = cluster.startCounter("node1", "both");
        List<Event> events = new ArrayList<>();

        List<Outcome> outcomes = cluster.forkAndWaitAll(
                "node1",
                ForkRequest.toEach(pid, List.of(NODE2, NODE3), Mode.FORK).withCompress(true),
                Duration.ofSeconds(120),
                events::add);

        assertThat(outcomes).extracting(Outcome::node).containsExactly(NODE2, NODE3);
        assertThat(outcomes)
                .allSatisfy(outcome -> assertThat(outcome.status())
                        .as("%s: %s %s", outcome.node(), outcome.reason(), outcome.detail())
                        .isEqualTo(Outcome.RESTORED));
        assertThat(events).filteredOn(event -> event.type() == EventType.DUMPED).hasSize(1);
        assertThat(events)
                .filteredOn(event -> event.type() == EventType.RESTORED)
                .extracting(Event::node)
                .containsExactlyInAnyOrder(NODE2, NODE3);
        assertThat(cluster.running("node2", outcomes.get(0).childPid())).isTrue();
        assertThat(cluster.running("node3", outcomes.get(1).childPid())).isTrue();
        assertThat(cluster.running("node1", pid)).isTrue();
        assertThat(shipped(events, NODE2)).containsEntry("compressed", 1L).containsKey("wireBytes");
        assertThat(shipped(events, NODE3))
                .as("vsftpd takes no compressed uploads")
                .doesNotContainKey("compressed");
    }

    private static Map<String, Long> shipped(List<Event> events, String target) {
        return events.stream()
                .filter(event -> event.type() == EventType.SHIPPED && target.equals(event.target()))
                .map(Event::stats)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no shipped event for " + target + ": " + events));
    }

    /**
     * A process holding a file that node2 lacks, and one of another size there: refused before its
     * dump (CRIU would fail the restore after the transfer), the process running on, unfrozen.
     */
    @Test
    @Order(3)
    void aForkToANodeWithoutTheFilesTheProcessHoldsIsRefusedBeforeTheDump() {
        cluster.sh("node1", "head -c 100 /dev/urandom > /tmp/only-here.bin; head -c 100 /dev/urandom > /tmp/both.bin");
        cluster.sh("node2", "rm -f /tmp/only-here.bin; head -c 5 /dev/urandom > /tmp/both.bin");
        // It holds both files, and stamps its clock every millisecond (a dump would leave a gap).
        long pid = Long.parseLong(cluster.sh(
                "node1",
                "setsid python3 -c 'import time\na = open(\"/tmp/only-here.bin\", \"rb\")\n"
                        + "b = open(\"/tmp/both.bin\", \"rb\")\ns = open(\"/tmp/files-stamps\", \"w\")\n"
                        + "while True:\n    s.write(\"%.6f\\n\" % time.monotonic())\n    s.flush()\n"
                        + "    time.sleep(0.001)' </dev/null >/dev/null 2>&1 & echo $!"));
        cluster.sh("node1", "sleep 0.5");
        String before = cluster.sh("node1", "wc -l < /tmp/files-stamps");

        JsonNode outcome = cluster.request("node1", "fork", pid, NODE2);
        cluster.sh("node1", "sleep 0.3");
        double gap = Double.parseDouble(cluster.sh(
                "node1",
                "python3 -c 'import sys\nt = [float(x) for x in open(\"/tmp/files-stamps\").read().split()]"
                        + "[int(sys.argv[1]):]\nprint(max((b - a) * 1000 for a, b in zip(t, t[1:])))' " + before));

        assertThat(outcome.path("status").asText()).as(outcome.toString()).isEqualTo("failed");
        assertThat(outcome.path("reason").asText()).isEqualTo("FILES_DIFFER_ON_TARGET");
        assertThat(outcome.path("detail").asText()).contains("/tmp/only-here.bin");
        assertThat(outcome.path("timings").has("frozenMs"))
                .as("no dump, no freeze")
                .isFalse();
        // Three nodes and the CLI's JVM share two cores here: more slack than on one node.
        assertThat(gap)
                .as("the longest gap between the process's stamps during the request")
                .isLessThan(250);
        assertThat(cluster.running("node1", pid)).isTrue();
        cluster.sh("node1", "kill " + pid);
    }

    /** A copy on node2 is migrated on to node3: it ends on node2 and counts on on node3. */
    @Test
    @Order(4)
    void aCopyIsMigratedOnward() {
        long pid = cluster.startCounter("node1", "onward");
        JsonNode forked = cluster.request("node1", "fork", pid, NODE2);
        assertThat(forked.path("status").asText()).as(forked.toString()).isEqualTo("restored");
        long copy = forked.path("childPid").asLong();
        String copyOutput =
                "/var/lib/rfork/spool/inbox/" + forked.path("requestId").asText() + ".out";

        JsonNode migrated = cluster.request("node2", "migrate", copy, NODE3);

        assertThat(migrated.path("status").asText()).as(migrated.toString()).isEqualTo("restored");
        String movedOutput =
                "/var/lib/rfork/spool/inbox/" + migrated.path("requestId").asText() + ".out";
        cluster.sh("node3", "sleep 1");
        long[] before = cluster.ticks("node2", copyOutput);
        long[] after = cluster.ticks("node3", movedOutput);
        assertThat(after[0]).as("the moved copy starts where it was on node2").isGreaterThanOrEqualTo(before[1]);
        assertThat(after[1]).as("and counts on").isGreaterThan(after[0]);
        assertThat(cluster.running("node2", copy))
                .as("the copy on node2 has ended")
                .isFalse();
        assertThat(cluster.running("node3", migrated.path("childPid").asLong())).isTrue();
        assertThat(cluster.running("node1", pid)).isTrue();
    }

    /**
     * A JVM copy forks itself again: SelfForkApp (it needs only rfork's client, in the image's jar)
     * forks itself node1 -> node2, and the copy on node2 forks itself once more, from inside its
     * PID namespace.
     */
    @Test
    @Order(5)
    void aJvmCopyForksItselfAgain() {
        cluster.copyTo(
                "node1",
                Path.of("../worker/target/test-classes/dev/rfork/worker/SelfForkApp.class"),
                "/tmp/app/dev/rfork/worker/SelfForkApp.class");
        cluster.sh(
                "node1",
                "setsid java -cp /opt/rfork/rfork.jar:/tmp/app dev.rfork.worker.SelfForkApp "
                        + cluster.brokerUrlInNode() + " app " + cluster.secret("APP") + " " + NODE2
                        + " fork-twice " + Cluster.ADDRESSES.get("node1") + " </dev/null >/tmp/twice.out 2>&1 &");

        String first = cluster.sh(
                "node1",
                "for i in $(seq 900); do grep -m1 '^parent request=' /tmp/twice.out && exit 0; sleep 0.1; done;"
                        + " cat /tmp/twice.out; exit 1");
        String firstId = first.replaceAll(".*request=(\\S+).*", "$1");
        String childOutput = "/var/lib/rfork/spool/inbox/" + firstId + ".out";
        String again = cluster.sh(
                "node2",
                "for i in $(seq 900); do grep -m1 '^again-parent request=' " + childOutput
                        + " && exit 0; sleep 0.1; done; cat " + childOutput + "; exit 1");
        String secondId = again.replaceAll(".*request=(\\S+).*", "$1");
        long grandchild = Long.parseLong(again.replaceAll(".*childPid=(\\d+).*", "$1"));
        cluster.sh(
                "node2",
                "for i in $(seq 300); do grep -q '^alive again-child 10' /var/lib/rfork/spool/inbox/" + secondId
                        + ".out && exit 0; sleep 0.1; done; exit 1");
        assertThat(cluster.running("node2", grandchild)).isTrue();
    }

    /** With node3 stopped, node2's copy runs and node3's outcome is a failure with its reason. */
    @Test
    @Order(6)
    void withNode3StoppedNode2sCopyRunsAndNode3ReportsWhy() {
        long pid = cluster.startCounter("node1", "half");
        cluster.stopNode("node3");
        try {
            List<Outcome> outcomes = cluster.forkAndWaitAll(
                    "node1",
                    ForkRequest.toEach(pid, List.of(NODE2, NODE3), Mode.FORK),
                    Duration.ofSeconds(120),
                    e -> {});

            assertThat(outcomes.get(0).status())
                    .as("%s %s", outcomes.get(0).reason(), outcomes.get(0).detail())
                    .isEqualTo(Outcome.RESTORED);
            assertThat(cluster.running("node2", outcomes.get(0).childPid())).isTrue();
            assertThat(outcomes.get(1).status()).isEqualTo(Outcome.FAILED);
            assertThat(outcomes.get(1).node()).isEqualTo(NODE3);
            assertThat(outcomes.get(1).reason()).isEqualTo(Reason.TARGET_UNREACHABLE);
            assertThat(cluster.running("node1", pid)).isTrue();
        } finally {
            cluster.startNode("node3");
        }
    }
}
