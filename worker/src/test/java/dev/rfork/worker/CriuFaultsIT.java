package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.worker.criu.ProcFs;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** CRIU that is not there, and a process that ends while CRIU dumps it. */
class CriuFaultsIT extends OneNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @Test
    void aWorkerWithoutCriuRefusesToStartNamingTheFixAndLeavesNothingRunning() throws Exception {
        int brokerPort = TestNode.freePort();
        int ftpPort = TestNode.freePort();

        assertThatThrownBy(() -> TestNode.start(
                        work.resolve("home"),
                        Map.of(
                                "criu",
                                "/nonexistent/criu",
                                "broker.port",
                                Integer.toString(brokerPort),
                                "ftp.port",
                                Integer.toString(ftpPort))))
                .isInstanceOfSatisfying(WorkerStartException.class, e -> {
                    assertThat(e.failed()).singleElement().satisfies(check -> {
                        assertThat(check.name()).isEqualTo("CRIU");
                        assertThat(check.detail()).contains("/nonexistent/criu");
                        assertThat(check.fix())
                                .contains("scripts/install-criu.sh")
                                .contains("RFORK_CRIU");
                    });
                    assertThat(e.getMessage()).contains("fix: ");
                });
        assertFree(brokerPort);
        assertFree(ftpPort);
    }

    @Test
    void aProcessThatEndsDuringItsDumpIsAnsweredAndTheNextRequestIsServed() throws Exception {
        long pid = processes.start(TestProcesses.holding(256), work.resolve("doomed.out"));
        TestProcesses.awaitTicks(work.resolve("doomed.out"), 2);
        ForkRequest request = ForkRequest.of(pid, "127.0.0.1", Mode.FORK);

        Outcome outcome;
        try (RforkClient client = node.client()) {
            CompletableFuture<Outcome> answer =
                    CompletableFuture.supplyAsync(() -> client.forkAndWait(request, WAIT, event -> {}));
            Await.until(
                    "criu seizes PID " + pid, WAIT, () -> ProcFs.tracerPid(pid).orElse(0) != 0);
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            outcome = answer.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }

        assertThat(outcome.status()).as("%s", outcome).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).as(outcome.detail()).isIn(Reason.CRIU_DUMP_FAILED, Reason.NO_SUCH_PROCESS);
        assertThat(outcome.events().get(outcome.events().size() - 1).evidence()).containsKey("logTail");
        Leftovers.assertNone(node.config().spool(), request.requestId());

        try (RforkClient client = node.client()) {
            processes.assertTheNextForkIsServed(client, "127.0.0.1");
        }
    }

    private static void assertFree(int port) throws IOException {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
        }
    }
}
