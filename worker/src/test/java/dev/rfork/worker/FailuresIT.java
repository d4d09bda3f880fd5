package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.address.Queues;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.message.RestoreRequest;
import dev.rfork.worker.criu.ProcFs;
import dev.rfork.worker.spool.Manifest;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Every failure is an answer: a failed event with a stable reason and evidence; the worker serves on. */
class FailuresIT extends OneNodeTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void malformedJsonOverStompIsAnsweredAndDeadLetteredAndTheNextRequestIsServed() throws Exception {
        UUID requestId = UUID.randomUUID();
        String garbage = "{\"version\": 1, \"pid\": oops";
        Outcome outcome;
        try (RforkClient client = node.client()) {
            outcome = client.follow(
                    requestId, Mode.FORK, "127.0.0.1", WAIT, () -> sendOverStomp(requestId, garbage), e -> {});
        }

        assertThat(outcome.status()).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).isEqualTo(Reason.MALFORMED_MESSAGE);
        assertThat(outcome.events().get(0).evidence()).containsEntry("body", garbage);
        assertThat(node.deadLetters()).anySatisfy(message -> {
            assertThat(message.getStringProperty(Queues.PROP_REASON)).isEqualTo("MALFORMED_MESSAGE");
            assertThat(((TextMessage) message).getText()).isEqualTo(garbage);
        });

        Path output = work.resolve("after-garbage.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 2);
        Outcome next = fork(ForkRequest.of(pid, "127.0.0.1", Mode.FORK));
        processes.track(next.childPid() == null ? pid : next.childPid());
        assertThat(next.status()).isEqualTo(Outcome.RESTORED);
    }

    @Test
    void aRequestIdUsedAgainByAnotherMessageIsRefusedAndTheFirstRequestsStoryStands() throws Exception {
        Path output = work.resolve("owner.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 2);
        Outcome first = fork(ForkRequest.of(pid, "127.0.0.1", Mode.FORK));
        processes.track(first.childPid() == null ? pid : first.childPid());
        assertThat(first.status()).isEqualTo(Outcome.RESTORED);

        // Another message, over another protocol, names the same id for a request that would fail.
        ForkRequest reuse = new ForkRequest(
                ForkRequest.VERSION, first.requestId(), 4_000_000, "127.0.0.1", Mode.FORK, null, Instant.now());
        sendOverStomp(first.requestId(), Messages.toJson(reuse));
        // And one naming it only in its requestId property, with a body that cannot be read.
        sendOverStomp(first.requestId(), "{ not json");

        long deadline = System.currentTimeMillis() + 30_000;
        while (node.deadLetters().stream()
                        .filter(message -> detailOf(message).contains(first.requestId() + " is already used"))
                        .count()
                < 2) {
            assertThat(System.currentTimeMillis())
                    .as("dead letter of the reused id")
                    .isLessThan(deadline);
            Thread.sleep(50);
        }
        Thread.sleep(500);
        Outcome recorded = node.recorded(first.requestId());
        assertThat(recorded.status()).isEqualTo(Outcome.RESTORED);
        assertThat(recorded.events()).extracting(Event::type).doesNotContain(EventType.FAILED);
    }

    private static String detailOf(Message message) {
        try {
            return String.valueOf(message.getStringProperty("detail"));
        } catch (JMSException e) {
            return "";
        }
    }

    /**
     * A record the worker cannot read (issue 12 planted an empty one through the FTP server, then
     * made it old so the start-up pruning read it) is not trusted; it never stops the worker.
     */
    @Test
    void anUnreadableRestoredRecordNeitherStopsTheWorkerNorTheNextRequest() throws Exception {
        Path inbox = node.config().spool().resolve("inbox");
        Path planted = inbox.resolve(UUID.randomUUID() + ".restored");
        node.stop();
        try {
            Files.writeString(planted, "");
            Files.setLastModifiedTime(planted, FileTime.from(Instant.parse("2000-01-01T00:00:00Z")));
        } finally {
            node = TestNode.restart(node.config());
        }
        assertThat(planted).doesNotExist();

        Path output = work.resolve("after-planted.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 2);
        Outcome next = fork(ForkRequest.of(pid, "127.0.0.1", Mode.FORK));
        processes.track(next.childPid() == null ? pid : next.childPid());
        assertThat(next.status()).isEqualTo(Outcome.RESTORED);
    }

    @Test
    void aPidThatDoesNotExistIsRejected() throws Exception {
        Outcome outcome = fork(ForkRequest.of(4_000_000, "127.0.0.1", Mode.FORK));

        assertFailed(outcome, Reason.NO_SUCH_PROCESS);
        assertThat(outcome.events().get(0).evidence()).containsEntry("pid", "4000000");
        Outcome recorded = node.recorded(outcome.requestId());
        assertThat(recorded.status()).isEqualTo(Outcome.FAILED);
        assertThat(recorded.reason()).isEqualTo(Reason.NO_SUCH_PROCESS);
    }

    @Test
    void initIsForbidden() throws Exception {
        ForkRequest init =
                new ForkRequest(ForkRequest.VERSION, UUID.randomUUID(), 1, "127.0.0.1", Mode.FORK, null, Instant.now());

        Outcome outcome = sendAndWait(init);

        assertFailed(outcome, Reason.FORBIDDEN);
        assertThat(outcome.events().get(0).evidence()).containsEntry("pid", "1");
    }

    /** CRIU crashes on a thread id ("BUG at criu/pstree.c"); the worker must refuse it before any freeze. */
    @Test
    void aThreadIdIsNotAProcessAndItsProcessRunsOnUnharmed() throws Exception {
        Path output = work.resolve("threads.out");
        Path tidFile = work.resolve("second-thread.tid");
        long pid = processes.start("""
                import threading, time
                def second():
                    with open("%s", "w") as f:
                        f.write(str(threading.get_native_id()))
                    while True:
                        time.sleep(0.1)
                threading.Thread(target=second, daemon=True).start()
                n = 0
                while True:
                    n += 1
                    print(f"tick {n}", flush=True)
                    time.sleep(0.1)
                """.formatted(tidFile), output);
        TestProcesses.awaitTicks(output, 2);
        long tid = Long.parseLong(Files.readString(tidFile).trim());
        assertThat(tid).isNotEqualTo(pid);

        Outcome outcome = sendAndWait(ForkRequest.of(tid, "127.0.0.1", Mode.FORK));

        assertFailed(outcome, Reason.NO_SUCH_PROCESS);
        assertThat(outcome.events().get(0).evidence())
                .containsEntry("pid", Long.toString(tid))
                .containsEntry("tgid", Long.toString(pid));
        int before = TestProcesses.lastTick(output);
        TestProcesses.awaitTicks(output, before + 3);
        assertThat(TestProcesses.state(pid)).isIn("S", "R");
        assertThat(ProcFs.tracerPid(pid)).hasValue(0);
    }

    /** Sent as it is, past the client's own checks, as any client in any language could. */
    private Outcome sendAndWait(ForkRequest request) {
        try (RforkClient client = node.client()) {
            return client.follow(
                    request.requestId(),
                    request.mode(),
                    "127.0.0.1",
                    WAIT,
                    () -> sendOverStomp(request.requestId(), Messages.toJson(request)),
                    e -> {});
        }
    }

    @Test
    void aMalformedOrUnknownNodeAddressIsRejected() throws Exception {
        long pid = processes.startCounter(work.resolve("target.out"));

        assertFailed(fork(ForkRequest.of(pid, "10.0.0.300", Mode.FORK)), Reason.INVALID_NODE_ADDRESS);
        assertFailed(fork(ForkRequest.of(pid, "a::b::c", Mode.FORK)), Reason.INVALID_NODE_ADDRESS);
        assertFailed(fork(ForkRequest.of(pid, "127.0.0.9", Mode.FORK)), Reason.UNKNOWN_NODE);
        assertThat(ProcFs.isRunning(pid)).isTrue();
    }

    @Test
    void aCriuDumpFailureReportsCriusExitStatusAndLogAndLeavesTheProcessRunning() throws Exception {
        // A process already traced by its parent cannot be seized by CRIU: a real dump failure.
        Path output = work.resolve("traced.out");
        processes.start("""
                import ctypes, os, time
                libc = ctypes.CDLL(None, use_errno=True)
                child = os.fork()
                if child == 0:
                    while True:
                        time.sleep(0.1)
                libc.ptrace(16, child, 0, 0)
                os.waitpid(child, 0)
                libc.ptrace(7, child, 0, 0)
                print(f"tick {child}", flush=True)
                while True:
                    time.sleep(0.1)
                """, output);
        TestProcesses.awaitTicks(output, 1);
        long traced = TestProcesses.lastTick(output);

        Outcome outcome = fork(ForkRequest.of(traced, "127.0.0.1", Mode.MIGRATE));

        assertFailed(outcome, Reason.CRIU_DUMP_FAILED);
        Map<String, String> evidence =
                outcome.events().get(outcome.events().size() - 1).evidence();
        assertThat(evidence).containsEntry("exitStatus", "1").containsKey("logTail");
        assertThat(evidence.get("logTail")).contains("Dumping FAILED");
        assertThat(TestProcesses.state(traced)).isNotIn("T", "Z", "");
    }

    @Test
    void aCriuRestoreFailureIsReportedAndTheParentKeepsRunning() throws Exception {
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

        Outcome outcome = fork(ForkRequest.of(pid, "127.0.0.1", Mode.FORK));

        assertFailed(outcome, Reason.CRIU_RESTORE_FAILED);
        Event failed = outcome.events().get(outcome.events().size() - 1);
        assertThat(failed.node()).isEqualTo("127.0.0.1");
        assertThat(failed.evidence().get("logTail")).contains("Address already in use");
        assertThat(ProcFs.isRunning(pid)).isTrue();
    }

    @Test
    void migrateToANodeThatDoesNotAnswerLeavesTheOriginalRunning() throws Exception {
        Path output = work.resolve("unreachable.out");
        long pid = processes.startCounter(output);
        TestProcesses.awaitTicks(output, 2);

        Outcome outcome = fork(ForkRequest.of(pid, TestNode.SILENT_NODE, Mode.MIGRATE));

        assertFailed(outcome, Reason.TARGET_UNREACHABLE);
        assertThat(outcome.events()).extracting(Event::type).contains(EventType.RETRYING);
        assertThat(outcome.events().get(outcome.events().size() - 1).evidence())
                .containsEntry("host", TestNode.SILENT_NODE)
                .containsKey("error");
        int before = TestProcesses.lastTick(output);
        TestProcesses.awaitTicks(output, before + 3);
        assertThat(TestProcesses.state(pid)).isNotEqualTo("T");
    }

    @Test
    void imagesThatDoNotMatchTheirManifestAreNotRestored() throws Exception {
        UUID requestId = UUID.randomUUID();
        Path upload = node.config().spool().resolve("inbox").resolve(requestId.toString());
        Files.createDirectories(upload);
        Files.writeString(upload.resolve("pages-1.img"), "not what was dumped");
        Files.writeString(upload.resolve("rfork-manifest.json"), "{}");
        RestoreRequest forged = new RestoreRequest(
                RestoreRequest.VERSION,
                requestId,
                "127.0.0.1",
                "127.0.0.1",
                Mode.FORK,
                1234,
                "0".repeat(64),
                Instant.now().plusSeconds(60),
                Instant.now());

        Outcome outcome = sendRestoreRequest(forged);

        assertFailed(outcome, Reason.IMAGE_VERIFICATION_FAILED);
        assertThat(outcome.events().get(0).evidence())
                .containsEntry("expected", "0".repeat(64))
                .containsKey("actual");
    }

    /**
     * CRIU writes stats-restore into the images when it restores them; a worker that finds its
     * own restore was interrupted removes it. One the sender put there is still an unlisted file.
     */
    @Test
    void anUnlistedFileNamedLikeCriusOwnOutputIsStillRefused() throws Exception {
        UUID requestId = UUID.randomUUID();
        Path upload =
                Files.createDirectories(node.config().spool().resolve("inbox").resolve(requestId.toString()));
        Path image = Files.writeString(upload.resolve("core-1.img"), "an image");
        Manifest manifest = new Manifest(
                Manifest.VERSION,
                requestId,
                List.of(new Manifest.Entry("core-1.img", Files.size(image), Manifest.sha256(image))));
        Files.write(upload.resolve(Manifest.FILE_NAME), manifest.toBytes());
        Files.writeString(upload.resolve("stats-restore"), "planted by the sender");
        RestoreRequest request = new RestoreRequest(
                RestoreRequest.VERSION,
                requestId,
                TestNode.SILENT_NODE,
                "127.0.0.1",
                Mode.FORK,
                1234,
                Manifest.sha256(manifest.toBytes()),
                Instant.now().plusSeconds(60),
                Instant.now());

        Outcome outcome = sendRestoreRequest(request);

        assertFailed(outcome, Reason.IMAGE_VERIFICATION_FAILED);
        assertThat(outcome.events().get(0).evidence()).containsEntry("file", "stats-restore");
    }

    /** Sends {@code request} to this node's restore queue as a worker would, and follows it. */
    private Outcome sendRestoreRequest(RestoreRequest request) {
        UUID requestId = request.requestId();
        try (RforkClient client = node.client();
                JMSContext worker = node.workerConnections().createContext()) {
            return client.follow(
                    requestId,
                    Mode.FORK,
                    "127.0.0.1",
                    WAIT,
                    () -> worker.createProducer()
                            .setProperty(Queues.PROP_REQUEST_ID, requestId.toString())
                            .send(worker.createQueue("restore.127.0.0.1"), Messages.toJson(request)),
                    e -> {});
        }
    }

    private void sendOverStomp(UUID requestId, String body) {
        try (Stomp stomp = new Stomp(
                node.config().brokerPort(),
                node.config().appUser(),
                node.config().appPassword())) {
            stomp.send(Queues.CHECKPOINT, Map.of(Queues.PROP_REQUEST_ID, requestId.toString()), body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Outcome fork(ForkRequest request) {
        try (RforkClient client = node.client()) {
            return client.forkAndWait(request, WAIT, event -> {});
        }
    }

    private static void assertFailed(Outcome outcome, Reason reason) {
        assertThat(outcome.status()).as("status of %s", outcome).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).as("reason of %s", outcome).isEqualTo(reason);
        assertThat(outcome.detail()).isNotBlank();
    }
}
