package dev.rfork.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rfork.client.BrokerUnavailableException;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Three nodes from compose.yaml: forks and migrations between them, and what users see. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ForkAcrossNodesClusterIT {
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

    @Test
    @Order(1)
    void eachNodesConsoleListsCheckpointAndItsRestoreQueue() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String auth = Base64.getEncoder()
                .encodeToString(("admin:" + cluster.secret("ADMIN")).getBytes(StandardCharsets.UTF_8));
        for (String node : List.of("node1", "node2", "node3")) {
            String address = Cluster.ADDRESSES.get(node);
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.consolePort(node)
                            + "/console/jolokia/read/org.apache.activemq.artemis:broker=*/QueueNames"))
                    .header("Authorization", "Basic " + auth)
                    .header("Origin", "http://localhost")
                    .build();
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(node + " console").isEqualTo(200);
            assertThat(response.body()).as(node + " queues").contains("checkpoint", "restore." + address);
        }
    }

    @Test
    @Order(2)
    void forkFromNode1ToNode2LeavesBothRunningAndTheCopyContinues() {
        long pid = cluster.startCounter("node1", "fork12");

        JsonNode outcome = cluster.request("node1", "fork", pid, NODE2);

        assertThat(outcome.path("status").asText()).as(outcome.toString()).isEqualTo("restored");
        assertThat(outcome.path("node").asText()).isEqualTo(NODE2);
        long child = outcome.path("childPid").asLong();
        String childOutput =
                "/var/lib/rfork/spool/inbox/" + outcome.path("requestId").asText() + ".out";
        cluster.sh("node2", "sleep 1");
        long[] copyTicks = cluster.ticks("node2", childOutput);
        assertThat(copyTicks[0]).as("the copy starts where the parent was").isGreaterThan(5);
        assertThat(copyTicks[1]).as("and counts on").isGreaterThan(copyTicks[0]);
        assertThat(cluster.running("node1", pid)).isTrue();
        assertThat(cluster.running("node2", child)).isTrue();
    }

    @Test
    @Order(3)
    void migrateFromNode2ToNode3ThroughVsftpdLeavesOnlyTheCopy() {
        long pid = cluster.startCounter("node2", "migrate23");

        JsonNode outcome = cluster.request("node2", "migrate", pid, NODE3);

        assertThat(outcome.path("status").asText()).as(outcome.toString()).isEqualTo("restored");
        long child = outcome.path("childPid").asLong();
        assertThat(cluster.running("node3", child)).isTrue();
        cluster.sh("node2", "for i in $(seq 50); do [ -e /proc/" + pid + " ] || exit 0; sleep 0.1; done; exit 1");
        assertThat(cluster.running("node2", pid)).isFalse();
    }

    @Test
    @Order(4)
    void oneParentForkedThreeTimesToOneNodeHasThreeRunningChildren() {
        long pid = cluster.startCounter("node1", "fanout");
        List<Long> children = new ArrayList<>();

        for (int i = 0; i < 3; i++) {
            JsonNode outcome = cluster.request("node1", "fork", pid, NODE2);
            assertThat(outcome.path("status").asText()).as(outcome.toString()).isEqualTo("restored");
            children.add(outcome.path("childPid").asLong());
        }

        assertThat(children).doesNotHaveDuplicates();
        assertThat(children).allMatch(child -> cluster.running("node2", child));
        assertThat(cluster.running("node1", pid)).isTrue();
    }

    @Test
    @Order(5)
    void aRedisServerWithDataForkedToAnotherNodeAnswersThereWithTheSameData() {
        cluster.sh(
                "node1",
                "redis-server --daemonize yes --save '' --appendonly no --protected-mode no "
                        + "--pidfile /tmp/redis.pid && for i in $(seq 50); do redis-cli ping && break; sleep 0.1; done");
        cluster.sh(
                "node1",
                "for i in $(seq 1 10000); do echo \"SET key:$i value-$i\"; done | redis-cli --pipe"
                        + " && redis-cli SET greeting 'hello from node1'");
        long pid = Long.parseLong(cluster.sh("node1", "cat /tmp/redis.pid"));

        JsonNode outcome = cluster.request("node1", "fork", pid, NODE3);

        assertThat(outcome.path("status").asText()).as(outcome.toString()).isEqualTo("restored");
        assertThat(cluster.sh("node1", "redis-cli -h " + NODE3 + " GET greeting"))
                .isEqualTo("hello from node1");
        assertThat(cluster.sh("node1", "redis-cli -h " + NODE3 + " DBSIZE")).isEqualTo("10001");
        assertThat(cluster.sh("node1", "redis-cli -h " + NODE3 + " GET key:1234"))
                .isEqualTo("value-1234");
        assertThat(cluster.sh("node1", "redis-cli GET greeting"))
                .as("the original answers too")
                .isEqualTo("hello from node1");
    }

    @Test
    @Order(6)
    void aJvmWithDefaultFlagsForksItselfToAnotherNode() {
        // The demo program: a plain `java` (perf data on, as by default) that calls SelfFork.fork.
        cluster.sh(
                "node1",
                "rm -f /root/rfork-demo.txt; setsid java -cp /opt/rfork/rfork.jar dev.rfork.cli.DemoProgram"
                        + " " + cluster.brokerUrlInNode() + " app " + cluster.secret("APP") + " " + NODE2 + " "
                        + Cluster.ADDRESSES.get("node1") + " < /dev/null > /tmp/demo.log 2>&1 &");

        String child = cluster.sh(
                "node2",
                "for i in $(seq 600); do grep -m1 'from the child' /root/rfork-demo.txt"
                        + " 2>/dev/null && exit 0; sleep 0.1; done; exit 1");
        String parent = cluster.sh(
                "node1",
                "for i in $(seq 100); do grep -m1 'from the parent' /root/rfork-demo.txt"
                        + " && exit 0; sleep 0.1; done; cat /tmp/demo.log; exit 1");

        assertThat(child).contains("a copy of PID").contains("from " + Cluster.ADDRESSES.get("node1"));
        assertThat(parent).contains("its child is PID").contains("on " + NODE2);
    }

    @Test
    @Order(7)
    void eventsOfARequestAreVisibleFromAnyNodeAndItsStatusAfterwards() throws Exception {
        cluster.sh("node3", "setsid rfork watch --timeout 60 > /tmp/watch.out 2>&1 < /dev/null & sleep 5");
        long pid = cluster.startCounter("node1", "watched");

        JsonNode outcome = cluster.request("node1", "fork", pid, NODE2);

        String requestId = outcome.path("requestId").asText();
        cluster.sh(
                "node3",
                "for i in $(seq 100); do grep -q '\"requestId\":\"" + requestId
                        + "\".*\"type\":\"restored\"' /tmp/watch.out && exit 0; sleep 0.1; done; cat /tmp/watch.out; exit 1");
        // Later, on a node that neither forked nor restored it: 'rfork status' from node3's record.
        String status = cluster.sh(
                "node3",
                "for i in $(seq 30); do rfork status " + requestId
                        + " --json > /tmp/status.json 2>/tmp/status.err && break; sleep 0.5; done; cat /tmp/status.err >&2; cat /tmp/status.json");
        JsonNode recorded = Messages.mapper().readTree(status.substring(status.lastIndexOf('\n') + 1));
        assertThat(recorded.path("status").asText()).as(status).isEqualTo("restored");
        assertThat(recorded.path("node").asText()).isEqualTo(NODE2);
        assertThat(recorded.path("childPid").asLong())
                .isEqualTo(outcome.path("childPid").asLong());
        assertThat(recorded.path("pid").asLong()).isEqualTo(pid);
    }

    @Test
    @Order(8)
    void aRequestToAStoppedNodeEndsWithAReasonAndTheParentIsUnharmed() {
        long pid = cluster.startCounter("node1", "stopped");
        cluster.stopNode("node2");
        try {
            JsonNode outcome = cluster.request("node1", "migrate", pid, NODE2);

            assertThat(outcome.path("status").asText()).as(outcome.toString()).isIn("restored", "failed");
            if (outcome.path("status").asText().equals("failed")) {
                assertThat(outcome.path("reason").asText()).isNotBlank();
                assertThat(cluster.running("node1", pid))
                        .as("the original runs on")
                        .isTrue();
                long[] before = cluster.ticks("node1", "/tmp/stopped.out");
                cluster.sh("node1", "sleep 1");
                assertThat(cluster.ticks("node1", "/tmp/stopped.out")[1]).isGreaterThan(before[1]);
            }
        } finally {
            cluster.startNode("node2");
        }
    }

    /**
     * Each node's worker serves /metrics on port 9464 of its address, to the admin only; the forks
     * above moved the counters (node3 restored the redis copy; node2 was restarted by the test
     * before, so its counters may have started again).
     */
    @Test
    @Order(9)
    void eachNodeServesItsMetricsToTheAdminOnly() throws Exception {
        // Over HTTPS with the node's certificate, checked against the cluster's CA and its address.
        HttpClient http =
                HttpClient.newBuilder().sslContext(cluster.trust().sslContext()).build();
        String auth = Base64.getEncoder()
                .encodeToString(("admin:" + cluster.secret("ADMIN")).getBytes(StandardCharsets.UTF_8));
        for (String node : List.of("node1", "node2", "node3")) {
            // At the node's own address (the host reaches the compose network), as Prometheus would.
            URI metrics = URI.create("https://" + Cluster.ADDRESSES.get(node) + ":9464/metrics");
            HttpResponse<String> scrape = awaitAnswer(
                    http,
                    HttpRequest.newBuilder(metrics)
                            .header("Authorization", "Basic " + auth)
                            .build());
            assertThat(scrape.statusCode()).as(node + " metrics").isEqualTo(200);
            assertThat(scrape.body())
                    .as(node)
                    .contains(
                            "# TYPE rfork_restore_seconds histogram",
                            "rfork_queue_messages{queue=\"checkpoint\"}",
                            "rfork_queue_messages{queue=\"restore." + Cluster.ADDRESSES.get(node) + "\"}");
            assertThat(awaitAnswer(http, HttpRequest.newBuilder(metrics).build())
                            .statusCode())
                    .as(node)
                    .isEqualTo(401);
            if (node.equals("node3")) {
                assertThat(scrape.body())
                        .as("node3 restored the redis copy")
                        .containsPattern(
                                "rfork_requests_total\\{mode=\"fork\",outcome=\"restored\",reason=\"none\"\\} [1-9]");
            }
        }
    }

    /**
     * A copy is a process like any other: forked on by the PID its node sees, node1 -> node2 ->
     * node3 -> back to node1, each copy going on from where the one before it was.
     */
    @Test
    @Order(10)
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

    /** One request to node2 and node3: one dump (one `dumped` event), a copy on each, each reporting. */
    @Test
    @Order(11)
    void oneRequestForksToNode2AndNode3FromOneDump() {
        long pid = cluster.startCounter("node1", "both");
        List<Event> events = new ArrayList<>();

        List<Outcome> outcomes = cluster.forkAndWaitAll(
                "node1",
                ForkRequest.toEach(pid, List.of(NODE2, NODE3), Mode.FORK),
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
    }

    /** With node3 stopped, node2's copy runs and node3's outcome is a failure with its reason. */
    @Test
    @Order(12)
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

    /** A copy on node2 is migrated on to node3: it ends on node2 and counts on on node3. */
    @Test
    @Order(14)
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
    @Order(15)
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

    /**
     * A process holding a file that node2 lacks, and one of another size there: refused before its
     * dump (CRIU would fail the restore after the transfer), the process running on, unfrozen.
     */
    @Test
    @Order(13)
    void aForkToANodeWithoutTheFilesTheProcessHoldsIsRefusedBeforeTheDump() {
        cluster.sh("node1", "head -c 100 /dev/urandom > /tmp/only-here.bin; head -c 100 /dev/urandom > /tmp/both.bin");
        cluster.sh("node2", "rm -f /tmp/only-here.bin; head -c 5 /dev/urandom > /tmp/both.bin");
        long pid = Long.parseLong(cluster.sh(
                "node1",
                "setsid python3 -c 'import time\na = open(\"/tmp/only-here.bin\", \"rb\")\n"
                        + "b = open(\"/tmp/both.bin\", \"rb\")\nwhile True:\n    time.sleep(0.1)'"
                        + " </dev/null >/dev/null 2>&1 & echo $!"));

        JsonNode outcome = cluster.request("node1", "fork", pid, NODE2);

        assertThat(outcome.path("status").asText()).as(outcome.toString()).isEqualTo("failed");
        assertThat(outcome.path("reason").asText()).isEqualTo("FILES_DIFFER_ON_TARGET");
        assertThat(outcome.path("detail").asText()).contains("/tmp/only-here.bin");
        assertThat(outcome.path("timings").has("frozenMs"))
                .as("no dump, no freeze")
                .isFalse();
        assertThat(cluster.running("node1", pid)).isTrue();
        cluster.sh("node1", "kill " + pid);
    }

    /**
     * TLS is required everywhere: every node's standalone broker refuses a plain CORE client, the
     * embedded FTP server (node2) and vsftpd (node3) refuse a login in clear, and vsftpd serves
     * explicit FTPS with the node's certificate, checked against the cluster's CA (ca.pem).
     */
    @Test
    @Order(1)
    void plainTextIsRefusedByEveryBrokerAndBothFtpServers() {
        for (String node : List.of("node1", "node2", "node3")) {
            String plain = "tcp://" + Cluster.ADDRESSES.get(node) + ":61616";
            assertThatThrownBy(() -> RforkClient.connect(plain, "app", cluster.secret("APP"))
                            .close())
                    .as(node + "'s broker in plain text")
                    .isInstanceOf(BrokerUnavailableException.class);
        }
        String ftp = "import ftplib, ssl, sys\n"
                + "host, password, mode = sys.argv[1], sys.argv[2], sys.argv[3]\n"
                + "if mode == 'plain':\n"
                + "    f = ftplib.FTP()\n"
                + "    f.connect(host, 2121, timeout=10)\n"
                + "    try:\n"
                + "        f.login('rfork', password)\n"
                + "        print('logged-in')\n"
                + "    except ftplib.error_perm as e:\n"
                + "        print('refused', e)\n"
                + "else:\n"
                + "    f = ftplib.FTP_TLS(context=ssl.create_default_context(cafile='/etc/rfork/tls/trust/ca.pem'))\n"
                + "    f.connect(host, 2121, timeout=10)\n"
                + "    f.login('rfork', password)\n"
                + "    f.prot_p()\n"
                + "    f.nlst()\n"
                + "    print('tls-ok')\n";
        cluster.sh("node1", "cat > /tmp/ftp-check.py <<'EOF'\n" + ftp + "EOF");
        for (String node : List.of("node2", "node3")) {
            String address = Cluster.ADDRESSES.get(node);
            assertThat(cluster.sh(
                            "node1", "python3 /tmp/ftp-check.py " + address + " " + cluster.secret("FTP") + " plain"))
                    .as(node + "'s FTP server, a login in clear")
                    .startsWith("refused 530");
            assertThat(cluster.sh(
                            "node1", "python3 /tmp/ftp-check.py " + address + " " + cluster.secret("FTP") + " tls"))
                    .as(node + "'s FTP server over TLS")
                    .isEqualTo("tls-ok");
        }
    }

    /** Docker's proxy takes connections before the worker listens (node2 has just restarted): retries. */
    private static HttpResponse<String> awaitAnswer(HttpClient http, HttpRequest request) throws Exception {
        long deadline = System.currentTimeMillis() + 180_000;
        while (true) {
            try {
                return http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                if (System.currentTimeMillis() > deadline) {
                    throw e;
                }
                Thread.sleep(1000);
            }
        }
    }
}
