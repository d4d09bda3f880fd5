package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.address.Queues;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.worker.config.WorkerConfig;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The node's Prometheus endpoint, scraped over HTTP around real requests: a fork through FTP and a refusal. */
@OneNodeTest.NodeSettings("ship.local=ftp")
class MetricsIT extends OneNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aScrapeWithoutTheAdminsCredentialsIsRefused() throws Exception {
        HttpResponse<String> anonymous = Scrape.get(node.metricsUrl(), null, null);
        HttpResponse<String> wrong = Scrape.get(node.metricsUrl(), WorkerConfig.ADMIN_USER, "not-the-password");
        HttpResponse<String> app = Scrape.get(
                node.metricsUrl(), node.config().appUser(), node.config().appPassword());

        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate"))
                .hasValueSatisfying(challenge -> assertThat(challenge).startsWith("Basic realm="));
        assertThat(anonymous.body()).doesNotContain("rfork_");
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(app.statusCode())
                .as("an application's account is not the admin's")
                .isEqualTo(401);
    }

    @Test
    void aForkAndARefusedRequestMoveTheCountersAndTheHistograms() throws Exception {
        Scrape before = scrape();
        Path output = work.resolve("counter.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 3);

        Outcome forked = fork(pid);
        processes.track(forked.childPid());
        Outcome refused = fork(4_000_000);

        assertThat(forked.succeeded()).as(forked.toString()).isTrue();
        assertThat(refused.reason()).isEqualTo(Reason.NO_SUCH_PROCESS);
        Scrape after = awaitCounted(before);
        assertThat(moved(
                        before, after, "rfork_requests_total", "mode", "fork", "outcome", "restored", "reason", "none"))
                .isEqualTo(1);
        assertThat(moved(
                        before,
                        after,
                        "rfork_requests_total",
                        "mode",
                        "fork",
                        "outcome",
                        "failed",
                        "reason",
                        "NO_SUCH_PROCESS"))
                .isEqualTo(1);
        for (String histogram : new String[] {
            "rfork_dump_seconds",
            "rfork_frozen_seconds",
            "rfork_verify_seconds",
            "rfork_restore_seconds",
            "rfork_request_to_running_seconds"
        }) {
            assertThat(moved(before, after, histogram + "_count", "mode", "fork"))
                    .as(histogram)
                    .isEqualTo(1);
            assertThat(moved(before, after, histogram + "_bucket", "mode", "fork", "le", "+Inf"))
                    .as(histogram)
                    .isEqualTo(1);
            assertThat(moved(before, after, histogram + "_sum", "mode", "fork"))
                    .as(histogram)
                    .isPositive();
        }
        assertThat(moved(before, after, "rfork_ship_seconds_count", "mode", "fork", "transport", "ftp"))
                .isEqualTo(1);
        assertThat(after.value("rfork_ship_seconds_count", "mode", "fork", "transport", "move"))
                .isZero();
        // The whole request took less than the largest bucket; the one sample lies in every bucket above it.
        assertThat(moved(before, after, "rfork_request_to_running_seconds_bucket", "mode", "fork", "le", "120.0"))
                .isEqualTo(1);
        assertThat(moved(before, after, "rfork_shipped_bytes_total", "transport", "ftp"))
                .isEqualTo(forked.timings().get("shippedBytes").doubleValue())
                .isPositive();
        assertThat(after.find("rfork_queue_messages", "queue", Queues.CHECKPOINT))
                .singleElement()
                .satisfies(depth -> assertThat(depth.value()).isZero());
        assertThat(after.find(
                        "rfork_queue_messages",
                        "queue",
                        Queues.restore(node.config().node())))
                .hasSize(1);
        // The embedded broker's own meters are exported with the node's, in one scrape.
        assertThat(after.value("artemis_messages_added", "queue", Queues.CHECKPOINT))
                .isGreaterThanOrEqualTo(2);
        assertThat(after.find("jvm_memory_used_bytes")).isNotEmpty();
    }

    private Outcome fork(long pid) {
        try (RforkClient client = node.client()) {
            return client.forkAndWait(ForkRequest.of(pid, "127.0.0.1", Mode.FORK), WAIT, event -> {});
        }
    }

    private Scrape scrape() throws Exception {
        return Scrape.of(
                node.metricsUrl(), WorkerConfig.ADMIN_USER, node.config().adminPassword());
    }

    /** The meters follow the events a moment after followers get them: scrapes until both requests count. */
    /**
     * The scrape once both requests are counted and the refused one has left {@code checkpoint}:
     * its failure is published before the worker commits the message's removal.
     */
    private Scrape awaitCounted(Scrape before) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        Scrape after = scrape();
        while (System.currentTimeMillis() < deadline
                && (moved(before, after, "rfork_requests_total", "outcome", "restored") < 1
                        || moved(before, after, "rfork_requests_total", "outcome", "failed") < 1
                        || after.value("rfork_queue_messages", "queue", Queues.CHECKPOINT) > 0)) {
            Thread.sleep(100);
            after = scrape();
        }
        return after;
    }

    private static double moved(Scrape before, Scrape after, String name, String... labels) {
        return after.value(name, labels) - before.value(name, labels);
    }
}
