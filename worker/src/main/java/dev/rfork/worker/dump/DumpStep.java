package dev.rfork.worker.dump;

import dev.rfork.config.OwnerOnly;
import dev.rfork.message.EventType;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.worker.criu.Criu;
import dev.rfork.worker.events.RequestEvents;
import dev.rfork.worker.spool.Spool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.MDC;

/**
 * Checkpoints the process into {@code outbox/<requestId>}; for migrate, holds the original. CRIU
 * runs on a thread of its own, so that the images can travel while it writes them.
 */
public final class DumpStep {
    private static final ExecutorService DUMPS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "rfork-dump");
        thread.setDaemon(true);
        return thread;
    });

    private final Criu criu;
    private final Spool spool;

    public DumpStep(Criu criu, Spool spool) {
        this.criu = criu;
        this.spool = spool;
    }

    /** The dump's directory, CRIU's log of it, and the held original for a migrate. */
    public record Dumped(Path imageDir, Path log, Optional<HeldOriginal> held) {
        /** Deletes the images and the log: once handed off or failed, neither is needed. */
        public void delete() {
            Spool.deleteTree(imageDir);
            Spool.deleteTree(log);
        }
    }

    /**
     * A dump under way: CRIU writes into {@code dumped.imageDir()} while the images may already
     * travel. {@code ended} completes once CRIU has exited: normally after the {@code dumped}
     * event, or with the dump's failure, everything it wrote then deleted and a migrate's
     * original resumed.
     */
    public record Dumping(Dumped dumped, CompletableFuture<Void> ended) {
        /** Waits for the dump to end: its images, or the dump's own failure thrown. */
        public Dumped await() throws IOException {
            try {
                ended.join();
                return dumped;
            } catch (CompletionException e) {
                if (e.getCause() instanceof UncheckedIOException io) {
                    throw io.getCause();
                }
                throw e.getCause() instanceof RuntimeException failure ? failure : e;
            }
        }

        /**
         * Waits for CRIU to exit, whatever the outcome: only then may its files be deleted, or a
         * migrate's original be resumed (CRIU holds it until it exits).
         */
        public void awaitExit() {
            boolean interrupted = false;
            while (true) {
                try {
                    ended.handle((ok, failure) -> null).get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    break;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts the dump and returns at once: the images can be read while CRIU writes them. */
    public Dumping start(ForkRequest request, RequestEvents events) throws IOException {
        Dumped dumped = prepare(request);
        // CRIU's lines in the log name the request too (the request id is a log field).
        Map<String, String> logFields = MDC.getCopyOfContextMap();
        CompletableFuture<Void> ended = CompletableFuture.runAsync(
                () -> {
                    MDC.setContextMap(logFields == null ? Map.of() : logFields);
                    try {
                        run(request, dumped, events);
                    } finally {
                        MDC.clear();
                    }
                },
                DUMPS);
        return new Dumping(dumped, ended);
    }

    private Dumped prepare(ForkRequest request) throws IOException {
        Path dir = spool.outbox(request.requestId());
        Dumped dumped = new Dumped(dir, spool.dumpLog(request.requestId()), Optional.empty());
        // A redelivered request dumps again: the process has moved on since the last attempt.
        dumped.delete();
        try {
            OwnerOnly.directory(dir);
            if (request.mode() == Mode.MIGRATE) {
                dumped = new Dumped(
                        dir,
                        dumped.log(),
                        Optional.of(HeldOriginal.mark(spool.heldMarker(request.requestId()), request.pid())));
            }
            return dumped;
        } catch (IOException | RuntimeException e) {
            deleteAfterFailure(dumped, e);
            throw e;
        }
    }

    private void run(ForkRequest request, Dumped dumped, RequestEvents events) {
        try {
            Criu.DumpResult result = criu.dump(request.pid(), request.mode(), dumped.imageDir(), dumped.log());
            Map<String, Long> stats = stats(result, dumped.imageDir());
            events.publish(EventType.DUMPED, event -> event.withStats(stats));
        } catch (IOException | RuntimeException e) {
            dumped.held().ifPresent(HeldOriginal::resume);
            // Nothing of a failed attempt may stay: images left on a full spool would fail every
            // later request too. CRIU's log tail is in the failure's evidence.
            deleteAfterFailure(dumped, e);
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    private static void deleteAfterFailure(Dumped dumped, Exception failure) {
        try {
            dumped.delete();
        } catch (RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    private static void putIfKnown(Map<String, Long> stats, String key, long value, long divisor) {
        if (value >= 0) {
            stats.put(key, value / divisor);
        }
    }

    private static Map<String, Long> stats(Criu.DumpResult result, Path dir) throws IOException {
        Map<String, Long> stats = new LinkedHashMap<>();
        stats.put("dumpMs", result.elapsedMillis());
        // CRIU's numbers are absent (-1) when it did not print them: leave them out, not 0.
        putIfKnown(stats, "frozenMs", result.frozenMicros(), 1000);
        putIfKnown(stats, "freezingMs", result.freezingMicros(), 1000);
        putIfKnown(stats, "memwriteMs", result.memwriteMicros(), 1000);
        putIfKnown(stats, "pagesWritten", result.pagesWritten(), 1);
        try (var files = Files.list(dir)) {
            stats.put(
                    "imageBytes",
                    files.mapToLong(file -> file.toFile().length()).sum());
        }
        return stats;
    }
}
