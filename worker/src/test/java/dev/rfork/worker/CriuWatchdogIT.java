package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.criu.ProcFs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A CRIU that hangs, the way CRIU 4.2 was seen to wait forever on a futex once its target was
 * killed under it: real CRIU runs every command, except a dump of a PID the test marked, which
 * hangs. The worker ends such a dump, answers, and serves the next request; a graceful stop
 * leaves no CRIU behind.
 */
class CriuWatchdogIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path home;

    @TempDir
    Path work;

    private Path criu;

    @BeforeEach
    void hangingCriu() throws Exception {
        String realCriu = WorkerConfig.defaultCriu();
        criu = work.resolve("criu-that-hangs");
        Files.writeString(criu, """
                #!/bin/sh
                if [ "$1" = dump ] && [ -e "%1$s/hang-$3" ]; then echo $$ > "%1$s/criu-$3.pid"; exec sleep 600; fi
                exec %2$s "$@"
                """.formatted(work, realCriu));
        Files.setPosixFilePermissions(criu, PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void aDumpThatHangsAfterItsProcessWasKilledIsEndedAndTheNextRequestIsServed() throws Exception {
        try (TestNode node = TestNode.start(home, Map.of("criu", criu.toString()));
                TestProcesses processes = new TestProcesses(work);
                RforkClient client = node.client()) {
            long victim = processes.startCounter(work.resolve("victim.out"));
            Files.createFile(work.resolve("hang-" + victim));
            CompletableFuture<Outcome> hung = CompletableFuture.supplyAsync(
                    () -> client.forkAndWait(ForkRequest.of(victim, "127.0.0.1", Mode.FORK), WAIT, event -> {}));
            awaitFile(work.resolve("criu-" + victim + ".pid"));
            ProcessHandle.of(victim).ifPresent(ProcessHandle::destroyForcibly);

            Outcome outcome = hung.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(outcome.reason()).as(outcome.detail()).isEqualTo(Reason.CRIU_DUMP_FAILED);
            assertThat(outcome.events()
                            .get(outcome.events().size() - 1)
                            .evidence()
                            .get("output"))
                    .contains("ended during its dump");
            assertThat(ProcFs.isRunning(criuPid(victim)))
                    .as("the hung criu was ended")
                    .isFalse();

            Path output = work.resolve("next.out");
            long next = processes.startCounter(output);
            TestProcesses.awaitTicks(output, 2);
            Outcome served = client.forkAndWait(ForkRequest.of(next, "127.0.0.1", Mode.FORK), WAIT, event -> {});
            assertThat(served.status())
                    .as("%s: %s", served.reason(), served.detail())
                    .isEqualTo(Outcome.RESTORED);
            processes.track(served.childPid());
        }
    }

    @Test
    void aGracefulStopEndsADumpInProgressAndLeavesTheOriginalRunning() throws Exception {
        try (TestProcesses processes = new TestProcesses(work)) {
            Path output = work.resolve("original.out");
            long original = processes.startCounter(output);
            Files.createFile(work.resolve("hang-" + original));
            TestNode node = TestNode.start(home, Map.of("criu", criu.toString()));
            try (RforkClient client = node.client()) {
                client.submit(ForkRequest.of(original, "127.0.0.1", Mode.FORK));
                awaitFile(work.resolve("criu-" + original + ".pid"));
            }
            node.close();

            assertThat(ProcFs.isRunning(criuPid(original)))
                    .as("no criu outlives the worker")
                    .isFalse();
            int tick = TestProcesses.lastTick(output);
            TestProcesses.awaitTicks(output, tick + 2);
        }
    }

    private long criuPid(long victim) throws Exception {
        return Long.parseLong(
                Files.readString(work.resolve("criu-" + victim + ".pid")).trim());
    }

    private static void awaitFile(Path file) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT.toMillis();
        while (!Files.exists(file) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertThat(file).exists();
    }
}
