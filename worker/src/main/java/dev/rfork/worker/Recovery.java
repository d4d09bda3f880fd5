package dev.rfork.worker;

import dev.rfork.message.EventType;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.worker.dump.HeldOriginal;
import dev.rfork.worker.events.EventPublisher;
import dev.rfork.worker.events.RequestEvents;
import dev.rfork.worker.spool.Spool;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At start, settles what a previous worker left: originals it held stopped for a migrate are
 * resumed (a possible second copy is better than a lost process) and half-written dumps
 * deleted. What old restores left in the inbox is InboxPruner's.
 */
final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    private Recovery() {}

    static void run(Spool spool, EventPublisher events) throws IOException {
        try (var markers = Files.list(spool.held())) {
            for (Path marker : markers.toList()) {
                HeldOriginal held = HeldOriginal.read(marker);
                LOG.warn(
                        "resuming the original {} of migrate {} held by a previous worker",
                        held.pids(),
                        marker.getFileName());
                held.resumeAfterCrash();
                report(events.about(requestId(marker), Mode.MIGRATE, null), held);
            }
        }
        try (var dumps = Files.list(spool.outbox())) {
            for (Path dump : dumps.toList()) {
                Spool.deleteTree(dump);
            }
        }
    }

    /**
     * Before the hand-off the fork request was not acknowledged: the broker delivers it again and
     * the migrate starts over (retrying). After it, the request is done with here and a copy may
     * run on the target: the migrate ends, rolled back, with both possibly running.
     */
    private static void report(RequestEvents events, HeldOriginal held) {
        Map<String, String> evidence = Map.of("pids", held.pids().toString());
        if (held.handedOffTo().isEmpty()) {
            events.publish(
                    EventType.RETRYING,
                    event -> event.withFailure(
                            Reason.INTERNAL_ERROR,
                            "the worker restarted during the migrate; the original was resumed and the request will be "
                                    + "served again",
                            evidence));
            return;
        }
        String target = held.handedOffTo().get();
        String detail = "the worker restarted while the migrate waited for the copy on " + target
                + "; the original was resumed, and the copy may run there too";
        events.publish(EventType.ROLLED_BACK, event -> event.withFailure(Reason.INTERNAL_ERROR, detail, evidence));
        events.publish(EventType.FAILED, event -> event.withFailure(Reason.INTERNAL_ERROR, detail, evidence));
    }

    private static UUID requestId(Path marker) {
        try {
            return UUID.fromString(marker.getFileName().toString());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
