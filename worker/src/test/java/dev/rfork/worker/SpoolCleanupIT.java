package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * What requests leave in the spool: nothing in the outbox, in the inbox only what a running copy
 * needs, nothing of a failed restore; and the inbox is pruned while the worker runs. The node
 * prunes every second (retention stays the default day).
 */
@OneNodeTest.NodeSettings({"inbox.prune-every-seconds=1"})
class SpoolCleanupIT extends OneNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void forksLeaveAnEmptyOutboxAndInTheInboxOnlyEachCopysRecordAndOutput() throws Exception {
        Path output = work.resolve("counter.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 2);

        List<UUID> forks = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            Outcome outcome = fork(pid);
            processes.track(outcome.childPid() == null ? pid : outcome.childPid());
            assertThat(outcome.status()).as("fork %d: %s", i, outcome).isEqualTo(Outcome.RESTORED);
            forks.add(outcome.requestId());
        }

        awaitEntries(spool("outbox"), List::isEmpty, "the outbox is empty");
        for (UUID id : forks) {
            awaitEntries(
                    spool("inbox"),
                    entries -> entries.stream()
                            .filter(name -> name.startsWith(id.toString()))
                            .sorted()
                            .toList()
                            .equals(List.of(id + ".out", id + ".restored")),
                    "only " + id + ".out and .restored are left");
        }
    }

    @Test
    void aFailedRestoreLeavesNothingInTheInbox() throws Exception {
        // The copy would listen on the parent's port in the same network namespace: EADDRINUSE.
        Path output = work.resolve("listener.out");
        long pid = processes.start("""
                import socket, time
                s = socket.socket()
                s.bind(("127.0.0.1", 0))
                s.listen()
                print("tick 1", flush=True)
                while True:
                    time.sleep(0.1)
                """, output);
        TestProcesses.awaitTicks(output, 1);

        Outcome outcome = fork(pid);

        assertThat(outcome.reason()).as("%s", outcome).isEqualTo(Reason.CRIU_RESTORE_FAILED);
        String id = outcome.requestId().toString();
        awaitEntries(
                spool("inbox"),
                entries -> entries.stream().noneMatch(name -> name.startsWith(id)),
                "nothing of the failed restore " + id + " is left");
    }

    @Test
    void theInboxIsPrunedWhileTheWorkerRunsKeepingRunningCopies() throws Exception {
        Instant old = Instant.now().minus(Duration.ofDays(2));
        String ended = UUID.randomUUID().toString();
        String running = UUID.randomUUID().toString();
        Path inbox = spool("inbox");
        List<Path> endedEntries = List.of(
                Files.writeString(inbox.resolve(ended + ".restored"), "999999999 1"),
                Files.writeString(inbox.resolve(ended + ".out"), "tick 1\n"));
        // A process of the test's stands in for a copy that still runs.
        long stillRunning = processes.startCounter(work.resolve("stand-in.out"));
        Path runningRecord = Files.writeString(inbox.resolve(running + ".restored"), stillRunning + " 1");
        for (Path entry : List.of(endedEntries.get(0), endedEntries.get(1), runningRecord)) {
            Files.setLastModifiedTime(entry, FileTime.from(old));
        }

        awaitEntries(
                inbox,
                entries -> entries.stream().noneMatch(name -> name.startsWith(ended)),
                "the ended copy's old records are pruned without a restart");
        assertThat(runningRecord).exists();
    }

    private Path spool(String box) {
        return node.config().spool().resolve(box);
    }

    private Outcome fork(long pid) {
        try (RforkClient client = node.client()) {
            return client.forkAndWait(ForkRequest.of(pid, "127.0.0.1", Mode.FORK), WAIT, event -> {});
        }
    }

    /** Files are deleted right after the events that the client waits for: give it a moment. */
    private static void awaitEntries(Path dir, Predicate<List<String>> condition, String what) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        List<String> entries = entries(dir);
        while (!condition.test(entries) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
            entries = entries(dir);
        }
        assertThat(condition.test(entries))
                .as(what + "; " + dir + " holds " + entries)
                .isTrue();
    }

    private static List<String> entries(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }
}
