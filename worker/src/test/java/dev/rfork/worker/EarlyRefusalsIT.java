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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What can be known before the freeze is answered before it: the process is never stopped, and
 * its own clock shows it (it stamps the time every millisecond; a dump would leave a gap).
 */
class EarlyRefusalsIT extends OneNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** Holds an exclusive flock on {@code argv[1]}, then stamps time.monotonic() every millisecond. */
    private static final String LOCKER = """
            import fcntl, sys, time
            lock = open(sys.argv[1], "w")
            fcntl.flock(lock, fcntl.LOCK_EX)
            print("tick 1", flush=True)
            stamps = open(sys.argv[2], "w")
            while True:
                stamps.write("%.6f\\n" % time.monotonic())
                stamps.flush()
                time.sleep(0.001)
            """;

    @Test
    void aSameNodeForkOfAProcessHoldingAnExclusiveLockIsRefusedBeforeAnyFreeze() throws Exception {
        Path lockFile = work.resolve("held.lock");
        Path stamps = work.resolve("stamps");
        Path output = work.resolve("locker.out");
        long pid = processes.start(
                "import sys; sys.argv = ['locker', '" + lockFile + "', '" + stamps + "']\n" + LOCKER, output);
        TestProcesses.awaitTicks(output, 1);
        Thread.sleep(300);

        Outcome outcome;
        long before = Files.readAllLines(stamps).size();
        try (RforkClient client = node.client()) {
            outcome = client.forkAndWait(ForkRequest.of(pid, "127.0.0.1", Mode.FORK), WAIT, event -> {});
        }
        Thread.sleep(300);
        List<String> lines = Files.readAllLines(stamps);

        assertThat(outcome.status()).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).isEqualTo(Reason.FILE_LOCK_HELD);
        assertThat(outcome.events())
                .filteredOn(event -> event.type() == EventType.FAILED)
                .extracting(Event::evidence)
                .anySatisfy(evidence -> assertThat(evidence.get("locks")).contains("FLOCK"));
        assertThat(outcome.events()).extracting(Event::type).doesNotContain(EventType.DUMPED);
        assertThat(ProcFs.isRunning(pid)).isTrue();
        // The process's own clock during the request: no freeze, only its own sleeps and the scheduler's.
        assertThat(maxGapMillis(lines.subList((int) before, lines.size())))
                .as("the longest gap between the process's stamps while the request was answered")
                .isLessThan(100);

        // Across nodes the lock is on another machine's file: no refusal there (the silent node
        // does not answer, so the request gets as far as the upload, after the dump).
        try (RforkClient client = node.client()) {
            Outcome elsewhere =
                    client.forkAndWait(ForkRequest.of(pid, TestNode.SILENT_NODE, Mode.FORK), WAIT, event -> {});
            assertThat(elsewhere.reason()).isNotEqualTo(Reason.FILE_LOCK_HELD);
            assertThat(elsewhere.events()).extracting(Event::type).contains(EventType.DUMPED);
        }
    }

    private static double maxGapMillis(List<String> stamps) {
        double max = 0;
        for (int i = 1; i < stamps.size(); i++) {
            max = Math.max(max, (Double.parseDouble(stamps.get(i)) - Double.parseDouble(stamps.get(i - 1))) * 1000);
        }
        return max;
    }
}
