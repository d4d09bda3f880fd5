package dev.rfork.worker;

import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.worker.criu.ProcFs;
import dev.rfork.worker.dump.HeldOriginal;
import dev.rfork.worker.events.EventPublisher;
import dev.rfork.worker.spool.RestoredRecord;
import dev.rfork.worker.spool.Spool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At start, settles what a previous worker left: originals it held stopped for a migrate are
 * resumed (a possible second copy is better than a lost process), half-written dumps deleted,
 * and what old restores left in the inbox pruned.
 */
final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    private static final Duration RETENTION = Duration.ofDays(1);

    private Recovery() {
    }

    static void run(Spool spool, EventPublisher events, String node) throws IOException {
        try (var markers = Files.list(spool.held())) {
            for (Path marker : markers.toList()) {
                HeldOriginal held = HeldOriginal.read(marker);
                LOG.warn("resuming the original {} of migrate {} held by a previous worker", held.pids(),
                        marker.getFileName());
                held.resumeAfterCrash();
                report(events, node, requestId(marker), held);
            }
        }
        try (var dumps = Files.list(spool.outbox())) {
            for (Path dump : dumps.toList()) {
                Spool.deleteTree(dump);
            }
        }
        pruneInbox(spool, RETENTION);
    }

    /**
     * Before the hand-off the fork request was not acknowledged: the broker delivers it again and
     * the migrate starts over (retrying). After it, the request is done with here and a copy may
     * run on the target: the migrate ends, rolled back, with both possibly running.
     */
    private static void report(EventPublisher events, String node, UUID requestId, HeldOriginal held) {
        Map<String, String> evidence = Map.of("pids", held.pids().toString());
        if (held.handedOffTo().isEmpty()) {
            events.publish(Event.of(requestId, EventType.RETRYING, Mode.MIGRATE, node).withFailure(
                    Reason.INTERNAL_ERROR, "the worker restarted during the migrate; the original was resumed "
                            + "and the request will be served again", evidence));
            return;
        }
        String target = held.handedOffTo().get();
        String detail = "the worker restarted while the migrate waited for the copy on " + target
                + "; the original was resumed, and the copy may run there too";
        events.publish(Event.of(requestId, EventType.ROLLED_BACK, Mode.MIGRATE, node)
                .withFailure(Reason.INTERNAL_ERROR, detail, evidence));
        events.publish(Event.of(requestId, EventType.FAILED, Mode.MIGRATE, node)
                .withFailure(Reason.INTERNAL_ERROR, detail, evidence));
    }

    /**
     * What a restore leaves in the inbox (manifest, CRIU's log, the copy's output) is kept for a
     * day, and as long as the copy runs: its output file is its stdout.
     */
    static void pruneInbox(Spool spool, Duration retention) throws IOException {
        Instant cutoff = Instant.now().minus(retention);
        Map<String, List<Path>> byRequest = new HashMap<>();
        try (var entries = Files.list(spool.inbox())) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                byRequest.computeIfAbsent(name.split("\\.", 2)[0], id -> new ArrayList<>()).add(entry);
            }
        }
        for (var request : byRequest.entrySet()) {
            boolean old = true;
            for (Path entry : request.getValue()) {
                old &= Files.getLastModifiedTime(entry).toInstant().isBefore(cutoff);
            }
            // Read first: a record that cannot be read goes now, whatever its age.
            boolean copyRuns = copyRuns(spool.inbox().resolve(request.getKey() + ".restored"));
            if (old && !copyRuns) {
                request.getValue().forEach(Spool::deleteTree);
                LOG.info("[{}] pruned from the inbox (older than {})", request.getKey(), retention);
            }
        }
    }

    private static boolean copyRuns(Path restored) {
        return RestoredRecord.read(restored).map(record -> ProcFs.isRunning(record.copyPid())).orElse(false);
    }

    private static UUID requestId(Path marker) {
        try {
            return UUID.fromString(marker.getFileName().toString());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
