package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes, 127.0.0.1 (a worker in a JVM of its own) and 127.0.0.3; the source is killed
 * (SIGKILL, broker included) while it uploads a fork's images to the target, and started again.
 */
class KilledDuringUploadIT {
    private static final String TARGET = "127.0.0.3";
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    Path sourceHome;

    @TempDir
    Path targetHome;
    /** Kept when the test fails: the workers' logs are in it. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path work;

    @Test
    void aForkWhoseSourceIsKilledDuringTheUploadIsServedAgainAndTheTargetKeepsNoHalfUpload() throws Exception {
        String brokerPort = Integer.toString(TestNode.freePort());
        String ftpPort = Integer.toString(TestNode.freePort());
        // One cluster, one set of secrets: every node gets the same.
        String[] shared = {
            "broker.port=" + brokerPort,
            "ftp.port=" + ftpPort,
            "ftp.password=ftp-secret",
            "app.password=app-secret",
            "worker.password=worker-secret",
            "cluster.password=cluster-secret"
        };
        Map<String, String> source = WorkerProcess.settings(sourceHome, shared);
        source.put("nodes", TARGET);
        try (TestProcesses processes = new TestProcesses(work);
                TestNode target = TestNode.start(
                        targetHome,
                        Map.of(
                                "node",
                                TARGET,
                                "nodes",
                                "127.0.0.1",
                                "broker.port",
                                brokerPort,
                                "ftp.port",
                                ftpPort,
                                "ftp.password",
                                "ftp-secret",
                                "app.password",
                                "app-secret",
                                "worker.password",
                                "worker-secret",
                                "cluster.password",
                                "cluster-secret"))) {
            Path output = work.resolve("original.out");
            long original = processes.start(TestProcesses.holding(512), output);
            TestProcesses.awaitTicks(output, 2);
            ForkRequest request = ForkRequest.of(original, TARGET, Mode.FORK);
            Path upload = target.config()
                    .spool()
                    .resolve("inbox")
                    .resolve(request.requestId().toString());

            try (WorkerProcess first = WorkerProcess.start(source, work.resolve("source-1.log"))) {
                try (RforkClient client = first.client()) {
                    client.submit(request);
                }
                Await.until("the upload of the memory to " + TARGET + " has begun", WAIT, () -> uploading(upload));
                first.kill();
            }
            assertThat(upload.resolve("rfork-manifest.json"))
                    .as("killed before the upload ended")
                    .doesNotExist();

            try (WorkerProcess second = WorkerProcess.start(source, work.resolve("source-2.log"))) {
                Outcome outcome = Await.ended(sourceHome, request.requestId(), WAIT);

                assertThat(outcome.status())
                        .as("%s: %s", outcome.reason(), outcome.detail())
                        .isEqualTo(Outcome.RESTORED);
                assertThat(outcome.node()).isEqualTo(TARGET);
                processes.track(outcome.childPid());
                Path copyOutput = target.childOutput(request.requestId());
                TestProcesses.awaitTicks(copyOutput, TestProcesses.lastTick(copyOutput) + 3);
                TestProcesses.awaitTicks(output, TestProcesses.lastTick(output) + 3);
                Leftovers.assertNone(target.config().spool(), request.requestId());
                Leftovers.assertNone(second.config().spool(), request.requestId());

                try (RforkClient client = second.client()) {
                    processes.assertTheNextForkIsServed(client, TARGET);
                }
            }
        }
    }

    /** A memory image has started to arrive. */
    private static boolean uploading(Path upload) throws Exception {
        if (!Files.isDirectory(upload)) {
            return false;
        }
        try (var files = Files.list(upload)) {
            return files.anyMatch(file -> file.getFileName().toString().startsWith("pages-")
                    && file.toFile().length() > 0);
        }
    }
}
