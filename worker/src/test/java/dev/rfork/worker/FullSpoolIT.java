package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose spool is a tmpfs too small for the process it is asked to fork: the dump fails,
 * and must leave nothing behind, or the spool stays full and every later request fails too.
 * Needs root (mount); a test that cannot mount fails, it is not skipped.
 */
class FullSpoolIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    /** Room for a small process's images (a few MB) but not for {@link #LARGE}'s. */
    private static final String SPOOL_SIZE = "32m";
    /** 64 MiB of random bytes resident: its pages alone do not fit in the spool. */
    private static final String LARGE = TestProcesses.holding(64);

    @TempDir
    static Path home;

    static Path spool;
    static Tmpfs tmpfs;
    static TestNode node;

    @TempDir
    Path work;

    TestProcesses processes;

    @BeforeAll
    static void startNodeOnASmallSpool() throws Exception {
        spool = home.resolve("spool");
        tmpfs = Tmpfs.mount(spool, SPOOL_SIZE);
        try {
            node = TestNode.start(home.resolve("node"), Map.of("spool", spool.toString()));
        } catch (Exception e) {
            tmpfs.close();
            throw e;
        }
    }

    @AfterAll
    static void stopNodeAndUnmount() throws Exception {
        try {
            if (node != null) {
                node.close();
            }
        } finally {
            tmpfs.close();
        }
    }

    @BeforeEach
    void startProcesses() {
        processes = new TestProcesses(work);
    }

    @AfterEach
    void endProcesses() {
        processes.close();
    }

    @Test
    void aForkThatDoesNotFitFailsCleanlyAndTheNextForkSucceeds() throws Exception {
        Path output = work.resolve("large.out");
        long large = processes.start(LARGE, output);
        TestProcesses.awaitTicks(output, 2);

        Outcome failed = fork(large, Mode.FORK);

        assertThat(failed.status()).as("status of %s", failed).isEqualTo(Outcome.FAILED);
        assertThat(failed.reason()).isEqualTo(Reason.CRIU_DUMP_FAILED);
        assertThat(failed.events().get(failed.events().size() - 1).evidence())
                .containsKey("logTail")
                .doesNotContainKey("logFile");
        assertStillCounting(large, output);
        assertThat(Leftovers.entries(spool.resolve("outbox")))
                .as("the outbox after the failed dump")
                .isEmpty();

        Path smallOutput = work.resolve("small.out");
        long small = processes.startCounter(smallOutput);
        TestProcesses.awaitTicks(smallOutput, 2);
        Outcome next = fork(small, Mode.FORK);
        processes.track(next.childPid() == null ? small : next.childPid());
        assertThat(next.status()).as("the next fork: %s", next).isEqualTo(Outcome.RESTORED);
    }

    @Test
    void aMigrateThatDoesNotFitResumesTheOriginalAndLeavesNothing() throws Exception {
        Path output = work.resolve("large-migrate.out");
        long large = processes.start(LARGE, output);
        TestProcesses.awaitTicks(output, 2);

        Outcome failed = fork(large, Mode.MIGRATE);

        assertThat(failed.status()).as("status of %s", failed).isEqualTo(Outcome.FAILED);
        assertThat(failed.reason()).isEqualTo(Reason.CRIU_DUMP_FAILED);
        assertStillCounting(large, output);
        assertThat(Leftovers.entries(spool.resolve("outbox")))
                .as("the outbox after the failed dump")
                .isEmpty();
        assertThat(Leftovers.entries(spool.resolve("held")))
                .as("no original is held any more")
                .isEmpty();
    }

    private static void assertStillCounting(long pid, Path output) throws Exception {
        int before = TestProcesses.lastTick(output);
        TestProcesses.awaitTicks(output, before + 3);
        assertThat(TestProcesses.state(pid)).isNotIn("T", "Z", "");
    }

    private static Outcome fork(long pid, Mode mode) {
        try (RforkClient client = node.client()) {
            return client.forkAndWait(ForkRequest.of(pid, "127.0.0.1", mode), WAIT, event -> {});
        }
    }
}
