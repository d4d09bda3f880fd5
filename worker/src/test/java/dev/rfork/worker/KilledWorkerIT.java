package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.criu.ProcFs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker killed (SIGKILL, broker included) while CRIU dumps a process, and started again: its
 * CRIU goes on without it, the request is served again, the original is never left stopped nor
 * lost, and nothing of the first attempt stays.
 */
class KilledWorkerIT {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    Path home;
    /** Kept when the test fails: the workers' logs are in it. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path work;

    TestProcesses processes;
    /** The worker started again after the kill. */
    WorkerProcess worker;

    @BeforeEach
    void startProcesses() {
        processes = new TestProcesses(work);
    }

    @AfterEach
    void endWorkerAndProcesses() throws Exception {
        if (worker != null) {
            worker.close();
        }
        processes.close();
    }

    @Test
    void aForkWhoseWorkerIsKilledDuringTheDumpIsServedAgainAndTheOriginalRunsOn() throws Exception {
        Path output = work.resolve("original.out");
        long original = processes.start(TestProcesses.holding(256), output);

        Outcome outcome = servedAfterAKillDuringTheDump(ForkRequest.of(original, "127.0.0.1", Mode.FORK), output);

        assertCounting(original, output);
        assertCounting(outcome.childPid(), copyOutput(outcome));
        Leftovers.assertNone(worker.config().spool(), outcome.requestId());
        assertServesAFork();
    }

    @Test
    void aMigrateWhoseWorkerIsKilledDuringTheDumpResumesTheOriginalThenMovesIt() throws Exception {
        Path output = work.resolve("original.out");
        long original = processes.start(TestProcesses.holding(256), output);

        Outcome outcome = servedAfterAKillDuringTheDump(ForkRequest.of(original, "127.0.0.1", Mode.MIGRATE), output);

        assertThat(outcome.events())
                .filteredOn(event -> event.type() == EventType.RETRYING)
                .extracting(Event::detail)
                .anySatisfy(detail -> assertThat(detail).contains("resumed"));
        assertCounting(outcome.childPid(), copyOutput(outcome));
        // The copy goes on from where the original was when it was moved: not from scratch.
        assertThat(TestProcesses.ticks(copyOutput(outcome)).get(0)).isGreaterThan(2);
        Await.until("the original ended once its copy ran", Duration.ofSeconds(10), () -> !ProcFs.isRunning(original));
        Leftovers.assertNone(worker.config().spool(), outcome.requestId());
        assertServesAFork();
    }

    @Test
    void aForkWhoseOriginalTheDeadWorkersCriuStillHoldsAfterTheRestartIsServedAgain() throws Exception {
        // As a dump of many GiB would: the dead worker's CRIU holds the original frozen for 10 s
        // after it wrote the images, long after the new worker is up and has the request again.
        Path hold = Files.writeString(work.resolve("hold.sh"), """
                #!/bin/sh
                [ "$CRTOOLS_SCRIPT_ACTION" = post-dump ] && sleep 10
                exit 0
                """);
        Path criu = Files.writeString(
                work.resolve("criu-that-holds"), """
                #!/bin/sh
                if [ "$1" = dump ] && [ -e "%1$s/hold-$3" ]; then rm "%1$s/hold-$3"; exec %2$s "$@" --action-script %3$s; fi
                exec %2$s "$@"
                """.formatted(work, WorkerConfig.defaultCriu(), hold));
        for (Path script : List.of(hold, criu)) {
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        }
        Path output = work.resolve("original.out");
        long original = processes.start(TestProcesses.holding(64), output);
        Files.createFile(work.resolve("hold-" + original));

        Outcome outcome =
                servedAfterAKillDuringTheDump(ForkRequest.of(original, "127.0.0.1", Mode.FORK), output, "criu=" + criu);

        assertCounting(original, output);
        assertCounting(outcome.childPid(), copyOutput(outcome));
        Leftovers.assertNone(worker.config().spool(), outcome.requestId());
        assertServesAFork();
    }

    /**
     * Starts a worker, sends the request, kills the worker as soon as CRIU dumps the process and
     * starts it again; the request must then be served again, to the end.
     */
    private Outcome servedAfterAKillDuringTheDump(ForkRequest request, Path output, String... extra) throws Exception {
        TestProcesses.awaitTicks(output, 2);
        Map<String, String> settings = WorkerProcess.settings(home, extra);
        killDuringTheDump(settings, request);
        worker = WorkerProcess.start(settings, work.resolve("worker-2.log"));
        Outcome outcome = Await.ended(home, request.requestId(), WAIT);
        assertThat(outcome.status())
                .as("%s: %s", outcome.reason(), outcome.detail())
                .isEqualTo(Outcome.RESTORED);
        processes.track(outcome.childPid());
        return outcome;
    }

    private Path copyOutput(Outcome outcome) {
        return worker.config().spool().resolve("inbox").resolve(outcome.requestId() + ".out");
    }

    /** Starts a worker, sends the request, and kills the worker as soon as CRIU dumps the process. */
    private void killDuringTheDump(Map<String, String> settings, ForkRequest request) throws Exception {
        try (WorkerProcess first = WorkerProcess.start(settings, work.resolve("worker-1.log"))) {
            Path dumpLog = first.config().spool().resolve("outbox").resolve(request.requestId() + ".dump.log");
            try (RforkClient client = first.client()) {
                client.submit(request);
            }
            Await.until("criu dump of PID " + request.pid() + " starts", WAIT, () -> Files.exists(dumpLog));
            first.kill();
        }
        assertThat(dumpRuns(request.pid()))
                .as("the dead worker's CRIU still dumps PID " + request.pid())
                .isTrue();
    }

    private static boolean dumpRuns(long pid) {
        return ProcessHandle.allProcesses()
                .map(process -> ProcFs.commandLine(process.pid()))
                .anyMatch(args -> {
                    int tree = args.indexOf("--tree");
                    return args.contains("dump")
                            && tree >= 0
                            && tree + 1 < args.size()
                            && args.get(tree + 1).equals(Long.toString(pid));
                });
    }

    private static void assertCounting(long pid, Path output) throws Exception {
        int tick = TestProcesses.lastTick(output);
        TestProcesses.awaitTicks(output, tick + 3);
        assertThat(TestProcesses.state(pid)).as("PID %d runs", pid).isIn("S", "R");
    }

    private void assertServesAFork() throws Exception {
        try (RforkClient client = worker.client()) {
            processes.assertTheNextForkIsServed(client, "127.0.0.1");
        }
    }
}
