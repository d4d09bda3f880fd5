package dev.rfork.worker.restore;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.EventType;
import dev.rfork.message.MessageException;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.message.RestoreRequest;
import dev.rfork.worker.criu.Criu;
import dev.rfork.worker.criu.ProcFs;
import dev.rfork.worker.events.EventPublisher;
import dev.rfork.worker.serve.Delivery;
import dev.rfork.worker.serve.Handler;
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
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code restore.<this node>}: verifies the uploaded images against the manifest whose
 * digest the request carries, restores them and reports the copy's PID. Idempotent by request
 * id, across a crash of the worker too: a redelivered request whose copy already runs is answered
 * again, one whose restore was underway when the worker died gets that restore's copy (CRIU
 * carries on without the worker), and only a restore that left no copy is tried again.
 */
public final class RestoreHandler implements Handler {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreHandler.class);
    /** How often, and how far apart, deleting a restored copy's images is tried (CRIU may still write). */
    private static final int DELETE_ATTEMPTS = 10;

    private static final long DELETE_RETRY_MILLIS = 20;
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
            throw new MessageException(
                    Reason.INVALID_REQUEST,
                    "restore request for " + request.target() + " arrived at " + node,
                    Map.of("target", request.target()),
                    null);
        }
        UUID id = request.requestId();
        Path dir = spool.inbox(id);
        Path log = spool.restoreLog(id);
        Path output = spool.copyOutput(id);
        Path pidFile = spool.restorePidFile(id);
        Path marker = spool.restoringMarker(id);
        Path result = spool.restoredRecord(id);
        if (answerAgainIfRestored(request, result)) {
            // A worker may have died between recording the copy and removing these.
            Files.deleteIfExists(marker);
            Files.deleteIfExists(pidFile);
            return;
        }
        delivery.afterFinalFailure(() -> deleteFailed(dir, log, output, result));
        if (Files.exists(marker)) {
            Optional<Criu.RestoredProcess> running;
            try {
                running = criu.adopt(dir, pidFile, CRIU_RESTORE_TIMEOUT);
            } catch (MessageException e) {
                Files.deleteIfExists(marker); // its copy has ended, or it was ended: none runs
                throw e;
            }
            if (running.isPresent()) {
                LOG.warn(
                        "the copy restored while an earlier worker ran is PID {}: reported now",
                        running.get().hostPid());
                restored(
                        request,
                        running.get(),
                        Map.of("restoreMs", running.get().elapsedMillis()),
                        output,
                        pidFile,
                        "; restored while an earlier worker of this node ran, which died before reporting it");
                return;
            }
            // No copy came of it: what that restore wrote goes, and the images are checked afresh.
            LOG.warn("a restore started by an earlier worker left no copy: restoring again");
            criu.discardRestore(dir, pidFile);
            Files.deleteIfExists(log);
        }
        if (Instant.now().isAfter(request.deadline())) {
            throw new MessageException(
                    Reason.DEADLINE_EXPIRED,
                    "the request arrived after its deadline " + request.deadline() + "; the source has given up on it",
                    Map.of("deadline", request.deadline().toString()),
                    null);
        }
        long verifyStart = System.nanoTime();
        boolean fromThisNode = NodeAddress.parse(request.source()).equals(node);
        Manifest manifest = Manifest.verify(dir, request.manifestSha256(), fromThisNode, received);
        long verifyMs = (System.nanoTime() - verifyStart) / 1_000_000;

        // From here a worker that dies leaves a restore running without it: the marker says so.
        Files.writeString(marker, "criu restore started " + Instant.now() + "\n");
        Criu.RestoredProcess copy;
        try {
            copy = criu.restore(dir, log, pidFile, output, CRIU_RESTORE_TIMEOUT);
        } catch (MessageException e) {
            Files.deleteIfExists(marker); // CRIU failed or was ended: no copy runs
            throw e;
        }
        Map<String, Long> stats = new LinkedHashMap<>();
        stats.put("verifyMs", verifyMs);
        stats.put("restoreMs", copy.elapsedMillis());
        stats.put("imageBytes", manifest.totalBytes());
        restored(request, copy, stats, output, pidFile, "");
    }

    /**
     * Records the copy, then reports it. The record comes first: from then on a redelivered
     * request is answered with it; until then the marker and CRIU's pid file lead to the copy.
     */
    private void restored(
            RestoreRequest request,
            Criu.RestoredProcess copy,
            Map<String, Long> stats,
            Path output,
            Path pidFile,
            String how)
            throws IOException {
        UUID id = request.requestId();
        Map<String, Long> figures = new LinkedHashMap<>(stats);
        if (request.acceptedAt() != null) {
            // By two clocks when the source is another node; a negative span says they disagree.
            long sinceAccepted =
                    Duration.between(request.acceptedAt(), Instant.now()).toMillis();
            if (sinceAccepted >= 0) {
                figures.put("acceptedToRunningMs", sinceAccepted);
            }
        }
        new RestoredRecord(copy.hostPid(), copy.holderPid()).write(spool.restoredRecord(id));
        Files.deleteIfExists(spool.restoringMarker(id));
        Files.deleteIfExists(pidFile);
        events.about(id, request.mode(), request.pid())
                .forTarget(node.canonical())
                .publish(
                        EventType.RESTORED,
                        event -> event.withChild(node.canonical(), copy.hostPid())
                                .withStats(figures)
                                .withDetail("the copy of PID " + request.pid() + " from " + request.source()
                                        + " runs as PID "
                                        + copy.hostPid() + " (PID " + request.pid() + " in its own PID namespace)" + how
                                        + "; output of the copy, if its stdout was a file or terminal: " + output));
        deleteAllButTheCopysFiles(spool.inbox(id), spool.restoreLog(id));
    }

    private boolean answerAgainIfRestored(RestoreRequest request, Path result) {
        Optional<RestoredRecord> record = RestoredRecord.read(result);
        if (record.isEmpty()) {
            return false;
        }
        long childPid = record.get().copyPid();
        String detail = ProcFs.isRunning(childPid)
                ? "already restored (redelivered request)"
                : "already restored earlier; the copy has since ended";
        events.about(request.requestId(), request.mode(), request.pid())
                .forTarget(node.canonical())
                .publish(
                        EventType.RESTORED,
                        event -> event.withChild(node.canonical(), childPid).withDetail(detail));
        return true;
    }

    /**
     * The copy runs: it needs only its record ({@code .restored}) and its output ({@code .out},
     * its stdout). The images hold the process's memory; they, the manifest and CRIU's log go now.
     * CRIU writes its statistics ({@code stats-restore}) into the images' directory just after
     * the pid file that says the copy runs: a deletion that meets that file is tried again. The
     * copy is restored whatever happens here, so a failure to delete is only logged.
     */
    private static void deleteAllButTheCopysFiles(Path dir, Path log) {
        for (int attempt = 1; ; attempt++) {
            try {
                Spool.deleteTree(dir);
                Spool.deleteTree(log);
                return;
            } catch (RuntimeException e) {
                if (attempt == DELETE_ATTEMPTS) {
                    LOG.warn("cannot delete the images {} of a restored copy: {}", dir, e.toString());
                    return;
                }
            }
            try {
                Thread.sleep(DELETE_RETRY_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * A restore that failed for good keeps nothing: the images hold the process's memory, and
     * CRIU's log tail and output are in the failure's evidence. Not when it will be tried again
     * (it needs the images then), and the output stays if a copy runs after all.
     */
    private static void deleteFailed(Path dir, Path log, Path output, Path result) {
        Spool.deleteTree(dir);
        Spool.deleteTree(log);
        if (!Files.exists(result)) {
            Spool.deleteTree(output);
        }
    }
}
