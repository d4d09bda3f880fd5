package dev.rfork.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rfork.message.Messages;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
