package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.worker.criu.ProcFs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fork request sent with a client rfork did not write: the Artemis distribution's own CLI. */
class StockClientIT {
    @TempDir
    Path home;

    @TempDir
    Path work;

    TestNode node;
    TestProcesses processes;

    @BeforeEach
    void setUp() throws Exception {
        node = TestNode.start(home);
        processes = new TestProcesses(work);
    }

    @AfterEach
    void tearDown() {
        processes.close();
        node.close();
    }

    @Test
    void aForkRequestSentWithTheArtemisCommandLineProducerIsServed() throws Exception {
        Path artemis = Path.of(System.getProperty("rfork.artemis.home", "target/artemis"))
                .resolve("bin/artemis");
        assertThat(artemis)
                .as("the Artemis distribution, unpacked by the build")
                .isExecutable();
        Path output = work.resolve("stock.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 2);
        ForkRequest request = ForkRequest.of(pid, "127.0.0.1", Mode.FORK);

        Outcome outcome;
        try (RforkClient client = node.client()) {
            outcome = client.follow(
                    request.requestId(),
                    Mode.FORK,
                    "127.0.0.1",
                    Duration.ofSeconds(60),
                    () -> produce(artemis, Messages.toJson(request)),
                    event -> {});
        }

        assertThat(outcome.status()).isEqualTo(Outcome.RESTORED);
        processes.track(outcome.childPid());
        assertThat(ProcFs.isRunning(outcome.childPid())).isTrue();
        assertThat(ProcFs.isRunning(pid)).isTrue();
    }

    private void produce(Path artemis, String json) {
        List<String> command = List.of(
                artemis.toString(),
                "producer",
                "--url",
                node.brokerUrl(),
                "--user",
                node.config().appUser(),
                "--password",
                node.config().appPassword(),
                "--destination",
                "queue://checkpoint",
                "--message-count",
                "1",
                "--message",
                json);
        try {
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(work.resolve("producer.log").toFile())
                    .start();
            assertThat(process.waitFor(120, TimeUnit.SECONDS))
                    .as("artemis producer finished")
                    .isTrue();
            assertThat(process.exitValue())
                    .as(Files.readString(work.resolve("producer.log")))
                    .isZero();
        } catch (Exception e) {
            throw new IllegalStateException("running " + command.get(0) + " failed", e);
        }
    }
}
