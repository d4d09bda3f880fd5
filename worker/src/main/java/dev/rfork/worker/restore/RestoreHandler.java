package dev.rfork.worker.restore;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.MessageException;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.message.RestoreRequest;
import dev.rfork.worker.criu.Criu;
import dev.rfork.worker.criu.ProcFs;
import dev.rfork.worker.events.EventPublisher;
import dev.rfork.worker.intake.Delivery;
import dev.rfork.worker.intake.Handler;
import dev.rfork.worker.spool.Manifest;
import dev.rfork.worker.spool.ReceivedFiles;
import dev.rfork.worker.spool.RestoredRecord;
import dev.rfork.worker.spool.Spool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Serves {@code restore.<this node>}: verifies the uploaded images against the manifest whose
 * digest the request carries, restores them and reports the copy's PID. Idempotent by request
 * id: a redelivered request whose copy already runs is answered again, not restored twice.
 */
public final class RestoreHandler implements Handler {
    private static final Duration CRIU_RESTORE_TIMEOUT = Duration.ofMinutes(5);

    private final Criu criu;
    private final Spool spool;
    private final EventPublisher events;
    private final NodeAddress node;
    private final ReceivedFiles received;

    public RestoreHandler(Criu criu, Spool spool, EventPublisher events, NodeAddress node) {
        this(criu, spool, events, node, null);
    }

    /** @param received digests the embedded FTP server recorded on upload; null with an external server */
    public RestoreHandler(Criu criu, Spool spool, EventPublisher events, NodeAddress node, ReceivedFiles received) {
        this.criu = criu;
        this.spool = spool;
        this.events = events;
        this.node = node;
        this.received = received;
    }

    @Override
    public void handle(String body, Delivery delivery) throws Exception {
        RestoreRequest request = Messages.fromJson(body, RestoreRequest.class);
        if (request.requestId() != null && request.mode() != null) {
            delivery.identify(request.requestId(), request.mode(), request.pid());
            delivery.failureType(request.mode() == Mode.MIGRATE ? EventType.RESTORE_FAILED : EventType.FAILED);
        }
        request.validate();
        if (!NodeAddress.parse(request.target()).equals(node)) {
            throw new MessageException(Reason.INVALID_REQUEST, "restore request for " + request.target()
                    + " arrived at " + node, Map.of("target", request.target()), null);
        }
        Path dir = spool.inbox(request.requestId());
        Path result = spool.restoredRecord(request.requestId());
        if (answerAgainIfRestored(request, result)) {
            return;
        }
        if (Instant.now().isAfter(request.deadline())) {
            throw new MessageException(Reason.DEADLINE_EXPIRED, "the request arrived after its deadline "
                    + request.deadline() + "; the source has given up on it",
                    Map.of("deadline", request.deadline().toString()), null);
        }
        long verifyStart = System.nanoTime();
        boolean fromThisNode = NodeAddress.parse(request.source()).equals(node);
        Manifest manifest = Manifest.verify(dir, request.manifestSha256(), fromThisNode, received);
        long verifyMs = (System.nanoTime() - verifyStart) / 1_000_000;

        Path output = dir.resolveSibling(request.requestId() + ".out");
        Criu.RestoredProcess copy = criu.restore(dir, dir.resolveSibling(request.requestId() + ".restore.log"),
                output, CRIU_RESTORE_TIMEOUT);
        new RestoredRecord(copy.hostPid(), copy.holderPid()).write(result);
        Map<String, Long> stats = new LinkedHashMap<>();
        stats.put("verifyMs", verifyMs);
        stats.put("restoreMs", copy.elapsedMillis());
        stats.put("imageBytes", manifest.totalBytes());
        events.publish(Event.of(request.requestId(), EventType.RESTORED, request.mode(), node.canonical())
                .withPid(request.pid())
                .withChild(node.canonical(), copy.hostPid())
                .withStats(stats)
                .withDetail("the copy of PID " + request.pid() + " from " + request.source() + " runs as PID "
                        + copy.hostPid() + " (PID " + request.pid() + " in its own PID namespace); output of the copy, "
                        + "if its stdout was a file or terminal: " + output));
        deleteImages(dir);
    }

    private boolean answerAgainIfRestored(RestoreRequest request, Path result) {
        Optional<RestoredRecord> record = RestoredRecord.read(result);
        if (record.isEmpty()) {
            return false;
        }
        long childPid = record.get().copyPid();
        Event event = Event.of(request.requestId(), EventType.RESTORED, request.mode(), node.canonical())
                .withPid(request.pid())
                .withChild(node.canonical(), childPid)
                .withDetail(ProcFs.isRunning(childPid) ? "already restored (redelivered request)"
                        : "already restored earlier; the copy has since ended");
        events.publish(event);
        return true;
    }

    /** The images hold the process's memory; once the copy runs only the manifest is kept. */
    private static void deleteImages(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            for (Path file : files.toList()) {
                if (!file.getFileName().toString().equals(Manifest.FILE_NAME)) {
                    Files.deleteIfExists(file);
                }
            }
        }
    }
}
