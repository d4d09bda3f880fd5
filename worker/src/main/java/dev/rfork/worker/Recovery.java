package dev.rfork.worker;

import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import dev.rfork.worker.dump.HeldOriginal;
import dev.rfork.worker.events.EventPublisher;
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
 * resumed (a possible second copy is better than a lost process), half-written dumps deleted.
 */
final class Recovery {
    private static final Logger LOG = LoggerFactory.getLogger(Recovery.class);

    private Recovery() {
    }

    static void run(Spool spool, EventPublisher events, String node) throws IOException {
        try (var markers = Files.list(spool.held())) {
            for (Path marker : markers.toList()) {
                HeldOriginal held = HeldOriginal.read(marker);
                LOG.warn("resuming the original {} of migrate {} held by a previous worker", held.pids(),
                        marker.getFileName());
                held.resume();
                events.publish(Event.of(requestId(marker), EventType.FAILED, Mode.MIGRATE, node)
                        .withFailure(Reason.INTERNAL_ERROR, "the worker restarted during the migrate; the original "
                                + "was resumed", Map.of("pids", held.pids().toString())));
            }
        }
        try (var dumps = Files.list(spool.outbox())) {
            for (Path dump : dumps.toList()) {
                Spool.deleteTree(dump);
            }
        }
    }

    private static UUID requestId(Path marker) {
        try {
            return UUID.fromString(marker.getFileName().toString());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
