package dev.rfork.worker.restore;

import dev.rfork.worker.criu.ProcFs;
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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes what requests left in the inbox once it is older than the retention and no copy of
 * theirs runs: a restored copy's record and output (its stdout: kept while it runs), and uploads
 * that were never restored (a crash, a request that never came). Runs when the worker starts and
 * then periodically: a worker may run for months.
 */
public final class InboxPruner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InboxPruner.class);

    private final Spool spool;
    private final Duration retention;
    private final ScheduledExecutorService timer;

    private InboxPruner(Spool spool, Duration retention) {
        this.spool = spool;
        this.retention = retention;
        this.timer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "inbox-pruner");
            thread.setDaemon(true);
            return thread;
        });
    }

    /**
     * Prunes at once on the pruner's thread, then every {@code every}. The worker's start does not
     * wait for it: with a day of records (one /proc check per restored copy) it took 100-150 ms.
     */
    public static InboxPruner start(Spool spool, Duration retention, Duration every) {
        InboxPruner pruner = new InboxPruner(spool, retention);
        pruner.timer.scheduleWithFixedDelay(pruner::pruneQuietly, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return pruner;
    }

    /** A failed run is retried at the next period: it must not end the schedule. */
    private void pruneQuietly() {
        try {
            prune(spool, retention);
        } catch (IOException | RuntimeException e) {
            LOG.warn("pruning the inbox {} failed (retried in the next period): {}", spool.inbox(), e.toString());
        }
    }

    /** Deletes each request's entries when all are older than {@code retention} and its copy has ended. */
    public static void prune(Spool spool, Duration retention) throws IOException {
        Instant cutoff = Instant.now().minus(retention);
        Map<String, List<Path>> byRequest = new HashMap<>();
        try (var entries = Files.list(spool.inbox())) {
            for (Path entry : entries.toList()) {
                String name = entry.getFileName().toString();
                byRequest
                        .computeIfAbsent(name.split("\\.", 2)[0], id -> new ArrayList<>())
                        .add(entry);
            }
        }
        for (var request : byRequest.entrySet()) {
            boolean old = true;
            for (Path entry : request.getValue()) {
                old &= Files.getLastModifiedTime(entry).toInstant().isBefore(cutoff);
            }
            // Read first: a record that cannot be read goes now, whatever its age.
            boolean copyRuns = Spool.requestOf(request.getValue().get(0))
                    .map(spool::restoredRecord)
                    .map(InboxPruner::copyRuns)
                    .orElse(false);
            if (old && !copyRuns) {
                request.getValue().forEach(Spool::deleteTree);
                LOG.info("[{}] pruned from the inbox (older than {})", request.getKey(), retention);
            }
        }
    }

    private static boolean copyRuns(Path restored) {
        return RestoredRecord.read(restored)
                .map(record -> ProcFs.isRunning(record.copyPid()))
                .orElse(false);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
