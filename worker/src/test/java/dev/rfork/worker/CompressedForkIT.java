package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.worker.criu.ProcFs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Forks through FTP with the images compressed on the way: the node's {@code compress} setting
 * turns it on, a request turns it off again; the copy runs and counts on either way.
 */
@OneNodeTest.NodeSettings({"ship.local=ftp", "compress=true"})
class CompressedForkIT extends OneNodeTest {
    /** A counter holding ~30 MiB of text: its memory compresses well. */
    private static final String TEXT_HOLDER = """
            import time
            text = b"rfork: a compressed fork, the same line again and again.\\n" * 550000
            n = 0
            while True:
                n += 1
                print(f"tick {n}", flush=True)
                time.sleep(0.1)
            """;

    @Test
    void theNodeSettingCompressesAndARequestCanSayOtherwise() throws Exception {
        Path output = work.resolve("text.out");
        long pid = processes.start(TEXT_HOLDER, output);
        TestProcesses.awaitTicks(output, 3);

        Outcome compressed = fork(ForkRequest.of(pid, "127.0.0.1", Mode.FORK));
        Map<String, Long> shipped = shippedStats(compressed);
        assertThat(shipped).containsEntry("compressed", 1L);
        assertThat(shipped.get("shippedBytes")).as("the images").isGreaterThan(30L << 20);
        assertThat(shipped.get("wireBytes"))
                .as("what crossed the connections")
                .isPositive()
                .isLessThan(shipped.get("shippedBytes") / 4);
        Path copyOutput = node.childOutput(compressed.requestId());
        int copyTicks = TestProcesses.lastTick(output);
        TestProcesses.awaitTicks(copyOutput, copyTicks + 3);
        assertThat(ProcFs.isRunning(compressed.childPid())).as("the copy runs").isTrue();

        Outcome plain = fork(ForkRequest.of(pid, "127.0.0.1", Mode.FORK).withCompress(false));
        assertThat(shippedStats(plain)).doesNotContainKeys("compressed", "wireBytes");
        assertThat(ProcFs.isRunning(plain.childPid()))
                .as("the second copy runs")
                .isTrue();
        assertThat(ProcFs.isRunning(pid)).as("the original runs").isTrue();
    }

    private Outcome fork(ForkRequest request) {
        try (RforkClient client = node.client()) {
            Outcome outcome = client.forkAndWait(request, Duration.ofSeconds(60), event -> {});
            if (outcome.childPid() != null) {
                processes.track(outcome.childPid());
            }
            assertThat(outcome.status()).as(outcome.toString()).isEqualTo(Outcome.RESTORED);
            return outcome;
        }
    }

    private static Map<String, Long> shippedStats(Outcome outcome) {
        return outcome.events().stream()
                .filter(event -> event.type() == EventType.SHIPPED)
                .map(Event::stats)
                .findFirst()
                .orElseThrow();
    }
}
