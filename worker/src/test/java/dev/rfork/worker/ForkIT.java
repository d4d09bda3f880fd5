package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.worker.criu.ProcFs;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fork and migrate of real processes through a real worker: broker, FTP, CRIU. */
class ForkIT extends OneNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void forkLeavesBothCopiesRunningAndTheCopyContinuesFromTheCheckpoint() throws Exception {
        Path parentOutput = work.resolve("parent.out");
        long pid = processes.startCounter(parentOutput);
        TestProcesses.awaitTicks(parentOutput, 10);

        Outcome outcome = fork(pid, Mode.FORK);
        int parentTickAtRestore = TestProcesses.lastTick(parentOutput);

        assertThat(outcome.status()).isEqualTo(Outcome.RESTORED);
        long copy = outcome.childPid();
        processes.track(copy);
        assertThat(copy).isNotEqualTo(pid);
        assertThat(outcome.events())
                .extracting(event -> event.type())
                .containsExactly(
                        EventType.ACCEPTED,
                        EventType.DUMPED,
                        EventType.SHIPPED,
                        EventType.RESTORE_QUEUED,
                        EventType.RESTORED);
        assertThat(outcome.timings())
                .containsKeys("dumpMs", "frozenMs", "shipMs", "restoreMs", "imageBytes", "requestToRunningMs");

        Path copyOutput = node.childOutput(outcome.requestId());
        TestProcesses.awaitTicks(copyOutput, parentTickAtRestore + 5);
        List<Integer> copyTicks = TestProcesses.ticks(copyOutput);
        // The copy starts where the parent was at the checkpoint, not from 1, and counts on.
        assertThat(copyTicks.get(0)).isGreaterThan(10).isLessThanOrEqualTo(parentTickAtRestore + 1);
        for (int i = 1; i < copyTicks.size(); i++) {
            assertThat(copyTicks.get(i)).isEqualTo(copyTicks.get(i - 1) + 1);
        }
        TestProcesses.awaitTicks(parentOutput, parentTickAtRestore + 5);
        assertThat(ProcFs.isRunning(pid)).as("parent runs").isTrue();
        assertThat(ProcFs.isRunning(copy)).as("copy runs").isTrue();
        // Inside its PID namespace the copy has the parent's PID.
        assertThat(ProcFs.namespacePids(copy)).hasSize(2).last().isEqualTo(pid);
        Outcome recorded = node.recorded(outcome.requestId());
        assertThat(recorded.status()).as("what 'rfork status' reads").isEqualTo(Outcome.RESTORED);
        assertThat(recorded.childPid()).isEqualTo(copy);
        assertThat(recorded.events())
                .extracting(event -> event.type())
                .containsExactly(
                        EventType.ACCEPTED,
                        EventType.DUMPED,
                        EventType.SHIPPED,
                        EventType.RESTORE_QUEUED,
                        EventType.RESTORED);
    }

    @Test
    void theSameProcessCanBeForkedAgainForASecondChild() throws Exception {
        Path output = work.resolve("twice.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 3);

        Outcome first = fork(pid, Mode.FORK);
        Outcome second = fork(pid, Mode.FORK);

        assertThat(first.succeeded()).isTrue();
        assertThat(second.succeeded()).isTrue();
        processes.track(first.childPid());
        processes.track(second.childPid());
        assertThat(first.childPid()).isNotEqualTo(second.childPid());
        assertThat(List.of(pid, first.childPid(), second.childPid())).allMatch(ProcFs::isRunning);
    }

    @Test
    void aCopyIsForkedAgainByItsPidOnThisNodeThenMigratedOnAndEveryCopyCountsOn() throws Exception {
        Path output = work.resolve("chain.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 3);
        Outcome first = fork(pid, Mode.FORK);
        assertThat(first.succeeded()).as("%s", first).isTrue();
        long copy = first.childPid();
        processes.track(copy);
        Path firstOutput = node.childOutput(first.requestId());
        TestProcesses.awaitTicks(firstOutput, TestProcesses.lastTick(firstOutput) + 2);

        // The copy lives in a PID namespace of its own; it is asked for by the PID this node sees.
        Outcome second = fork(copy, Mode.FORK);

        assertThat(second.succeeded()).as("%s", second).isTrue();
        long secondCopy = second.childPid();
        processes.track(secondCopy);
        Path secondOutput = node.childOutput(second.requestId());
        int firstAtSecond = TestProcesses.lastTick(firstOutput);
        TestProcesses.awaitTicks(secondOutput, 1);
        TestProcesses.awaitTicks(secondOutput, TestProcesses.ticks(secondOutput).get(0) + 3);
        // The second copy goes on from where the first copy was, not from the original's start.
        assertThat(TestProcesses.ticks(secondOutput).get(0))
                .isGreaterThan(TestProcesses.ticks(firstOutput).get(0))
                .isLessThanOrEqualTo(firstAtSecond + 1);
        TestProcesses.awaitTicks(firstOutput, firstAtSecond + 3);
        assertThat(List.of(pid, copy, secondCopy)).allMatch(ProcFs::isRunning);

        Outcome moved = fork(secondCopy, Mode.MIGRATE);

        assertThat(moved.succeeded()).as("%s", moved).isTrue();
        processes.track(moved.childPid());
        awaitGone(secondCopy);
        Path movedOutput = node.childOutput(moved.requestId());
        TestProcesses.awaitTicks(movedOutput, 1);
        TestProcesses.awaitTicks(movedOutput, TestProcesses.ticks(movedOutput).get(0) + 3);
        assertThat(TestProcesses.ticks(movedOutput).get(0))
                .isGreaterThan(TestProcesses.ticks(secondOutput).get(0));
        assertThat(List.of(pid, copy, moved.childPid())).allMatch(ProcFs::isRunning);
    }

    @Test
    void migrateEndsTheOriginalOnceTheCopyRuns() throws Exception {
        Path output = work.resolve("migrate.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 5);

        Outcome outcome = fork(pid, Mode.MIGRATE);

        assertThat(outcome.status()).isEqualTo(Outcome.RESTORED);
        processes.track(outcome.childPid());
        assertThat(outcome.events())
                .extracting(event -> event.type())
                .endsWith(EventType.RESTORED, EventType.ORIGINAL_ENDED);
        awaitGone(pid);
        Path copyOutput = node.childOutput(outcome.requestId());
        TestProcesses.awaitTicks(copyOutput, TestProcesses.lastTick(copyOutput) + 3);
        assertThat(TestProcesses.ticks(copyOutput).get(0)).isGreaterThan(5);
        assertThat(ProcFs.isRunning(outcome.childPid())).isTrue();
    }

    @Test
    void restoredCopiesKeepRunningWhenTheWorkerRestarts() throws Exception {
        Path output = work.resolve("restart.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 3);
        Outcome outcome = fork(pid, Mode.FORK);
        processes.track(outcome.childPid());

        node.stop();
        try {
            Path copyOutput = node.childOutput(outcome.requestId());
            int before = TestProcesses.lastTick(copyOutput);
            TestProcesses.awaitTicks(copyOutput, before + 5);
            assertThat(ProcFs.isRunning(outcome.childPid())).isTrue();
        } finally {
            node = TestNode.restart(node.config());
        }
        Outcome again = fork(pid, Mode.FORK);
        processes.track(again.childPid() == null ? pid : again.childPid());
        assertThat(again.succeeded()).as("the restarted worker serves again").isTrue();
    }

    private Outcome fork(long pid, Mode mode) {
        try (RforkClient client = node.client()) {
            return client.forkAndWait(ForkRequest.of(pid, "127.0.0.1", mode), WAIT, event -> {});
        }
    }

    static void awaitGone(long pid) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (ProcFs.isRunning(pid) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertThat(ProcFs.isRunning(pid)).as("PID " + pid + " has ended").isFalse();
    }
}
