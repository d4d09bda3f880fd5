package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.config.Settings;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.criu.ProcFs;
import dev.rfork.worker.events.RequestLog;
import dev.rfork.worker.spool.Manifest;
import dev.rfork.worker.spool.RestoredRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A target worker killed (SIGKILL, broker included) while CRIU restores: the restore carries on
 * without it, and the worker that starts next must own that copy, not fail it or make another.
 */
class RestoreCrashIT {
    /** About 256 MiB resident, half random: its restore takes long enough to be caught running. */
    private static final String LARGE = """
            import os, time
            random = os.urandom(128 << 20)
            text = bytearray(128 << 20)
            for offset in range(0, len(text), 4096):
                text[offset] = 1
            print("tick 1", flush=True)
            while True:
                time.sleep(0.2)
            """;

    @TempDir
    Path home;

    @TempDir
    Path work;

    @Test
    void aWorkerKilledDuringTheRestoreOwnsTheRunningCopyAfterItsRestart() throws Exception {
        List<Event> events = killTheWorkerDuringTheRestore(false);

        assertThat(events)
                .filteredOn(event -> event.type() == EventType.RESTORED)
                .singleElement()
                .satisfies(restored -> assertThat(restored.detail()).contains("earlier worker"));
    }

    /** CRIU died with the worker (a power cut, say): what it left goes and the images are restored again. */
    @Test
    void aRestoreThatDiedWithTheWorkerIsRestoredAgainOnce() throws Exception {
        List<Event> events = killTheWorkerDuringTheRestore(true);

        assertThat(events)
                .filteredOn(event -> event.type() == EventType.RESTORED)
                .singleElement()
                .satisfies(restored -> assertThat(restored.detail()).doesNotContain("earlier worker"));
    }

    /**
     * Forks a large process to this node, kills the worker once CRIU restores it (and CRIU too,
     * if asked), starts the worker again and checks that the request ends restored with exactly
     * one copy running and nothing of the interrupted restore left. Returns the request's events.
     */
    private List<Event> killTheWorkerDuringTheRestore(boolean criuToo) throws Exception {
        Map<String, String> settings = WorkerProcess.settings(home);
        WorkerConfig config = WorkerConfig.creatingSecrets(Settings.load(settings, Map.of()));
        RequestLog log = new RequestLog(home);
        Path inbox = config.spool().resolve("inbox");
        long original = 0;
        try (TestProcesses processes = new TestProcesses(work)) {
            Path output = work.resolve("large.out");
            original = processes.start(LARGE, output);
            TestProcesses.awaitTicks(output, 1);
            ForkRequest request = ForkRequest.of(original, "127.0.0.1", Mode.FORK);
            Path images = inbox.resolve(request.requestId().toString());

            try (WorkerProcess first = WorkerProcess.start(settings, work.resolve("worker-1.log"))) {
                try (RforkClient client = RforkClient.connect(
                        config.tls().clientUrl("tcp://127.0.0.1:" + config.brokerPort()),
                        config.appUser(),
                        config.appPassword())) {
                    client.submit(request);
                }
                awaitRestoreRunning(images);
                first.kill();
            }
            if (criuToo) {
                endRestore(images, original);
                // What CRIU writes into the images at the end of a restore, if it got that far.
                Files.writeString(images.resolve("stats-restore"), "as criu leaves it");
            }

            try (WorkerProcess second = WorkerProcess.start(settings, work.resolve("worker-2.log"))) {
                List<Event> events = CrashIT.await(
                        log,
                        request,
                        all -> !Outcome.known(request.requestId(), all).status().equals(Outcome.IN_PROGRESS));
                Outcome outcome = Outcome.known(request.requestId(), events);

                assertThat(outcome.status()).as("%s", events).isEqualTo(Outcome.RESTORED);
                long copy = outcome.childPid();
                assertThat(copiesOf(original)).as("copies running").containsExactly(copy);
                assertThat(RestoredRecord.read(inbox.resolve(request.requestId() + ".restored")))
                        .hasValueSatisfying(
                                record -> assertThat(record.copyPid()).isEqualTo(copy));
                // The images go right after the restored event; the manifest may stay.
                long deadline = System.currentTimeMillis() + 10_000;
                while (!imagesGone(images) && System.currentTimeMillis() < deadline) {
                    Thread.sleep(20);
                }
                assertThat(leftIn(images)).as("in the images' directory").allMatch(Manifest.FILE_NAME::equals);
                assertThat(leftIn(inbox))
                        .as("in the inbox")
                        .noneMatch(name ->
                                name.endsWith(".restoring") || name.endsWith(".pid") || name.endsWith(".partial"));
                return events;
            }
        } finally {
            // Whatever happened, no copy outlives the test.
            for (long copy : copiesOf(original)) {
                ProcessHandle.of(copy).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    /** Ends the CRIU restoring {@code images} (PID 1 of its namespace: what it restored ends too). */
    private static void endRestore(Path images, long original) throws Exception {
        for (long pid : ProcFs.pids()) {
            List<String> args = ProcFs.commandLine(pid);
            List<Long> namespaced = ProcFs.namespacePids(pid);
            if (args.contains(images.toString()) && namespaced.size() == 2 && namespaced.get(1) == 1) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
        long deadline = System.currentTimeMillis() + 10_000;
        while (restoreRuns(images) || !copiesOf(original).isEmpty()) {
            assertThat(System.currentTimeMillis()).as("the restore ended").isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Waits until CRIU restores {@code images}: the moment to pull the plug on the worker. */
    private static void awaitRestoreRunning(Path images) throws Exception {
        long deadline = System.currentTimeMillis() + 90_000;
        while (!restoreRuns(images)) {
            assertThat(System.currentTimeMillis())
                    .as("criu restore of %s started", images)
                    .isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private static boolean restoreRuns(Path images) {
        return ProcFs.pids().stream()
                .map(ProcFs::commandLine)
                .anyMatch(args -> args.contains("restore") && args.contains(images.toString()));
    }

    /** Processes whose PID in a namespace of their own is the original's: copies of it. */
    private static List<Long> copiesOf(long original) {
        List<Long> copies = new ArrayList<>();
        for (long pid : ProcFs.pids()) {
            List<Long> namespaced = ProcFs.namespacePids(pid);
            if (namespaced.size() == 2 && namespaced.get(1) == original && ProcFs.isRunning(pid)) {
                copies.add(pid);
            }
        }
        return copies;
    }

    private static boolean imagesGone(Path dir) throws IOException {
        return leftIn(dir).stream().allMatch(Manifest.FILE_NAME::equals);
    }

    private static List<String> leftIn(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (var files = Files.list(dir)) {
            return files.map(file -> file.getFileName().toString()).toList();
        }
    }
}
