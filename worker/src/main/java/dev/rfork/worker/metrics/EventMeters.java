package dev.rfork.worker.metrics;

import dev.rfork.message.Event;
import dev.rfork.message.Mode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The request meters of a node, kept from the events it publishes (a listener on its
 * EventPublisher): the steps say what happened once, as events, and the meters follow, so no step
 * holds metrics code. A request is counted once in the cluster, by the node that publishes its
 * terminal event; each phase is timed by the node that ran it. Names and labels: docs/operations.md.
 */
public final class EventMeters implements Consumer<Event> {
    static final String REQUESTS = "rfork.requests";
    static final String RETRIES = "rfork.request.retries";
    static final String REQUEST_TO_RUNNING = "rfork.request.to.running";
    static final String FROZEN = "rfork.frozen";
    static final String DUMP = "rfork.dump";
    static final String SHIP = "rfork.ship";
    static final String VERIFY = "rfork.verify";
    static final String RESTORE = "rfork.restore";
    static final String SHIPPED_BYTES = "rfork.shipped.bytes";

    /**
     * From a small process's freeze (ms) to a large one's whole life (minutes); the same for every
     * phase, so that phases compare.
     */
    static final Duration[] BUCKETS =
            List.of(5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000).stream()
                    .map(Duration::ofMillis)
                    .toArray(Duration[]::new);

    private static final Map<String, String> TIMERS = Map.of(
            REQUEST_TO_RUNNING, "from the source accepting a request to its copy running (by the restoring node)",
            FROZEN, "how long CRIU kept the process frozen during its dump",
            DUMP, "the CRIU dump, from start to exit",
            VERIFY, "checking received images against their manifest",
            RESTORE, "the CRIU restore, until the copy runs");
    private static final String SHIP_HELP =
            "taking the images to the target: uploaded (ftp) or renamed in this node's spool (move)";
    private static final List<String> TRANSPORTS = List.of("ftp", "move");

    private final MeterRegistry registry;

    public EventMeters(MeterRegistry registry) {
        this.registry = registry;
        // Every histogram exists from the start, at zero: a dashboard shows "none yet", not "no data".
        for (Mode mode : Mode.values()) {
            TIMERS.keySet().forEach(name -> timer(name, mode.wireName()));
            TRANSPORTS.forEach(transport -> ship(mode.wireName(), transport));
        }
        TRANSPORTS.forEach(this::shippedBytes);
    }

    @Override
    public void accept(Event event) {
        String mode = event.mode() == null ? "unknown" : event.mode().wireName();
        Map<String, Long> stats = event.stats();
        switch (event.type()) {
            case DUMPED -> {
                record(timer(DUMP, mode), stats.get("dumpMs"));
                record(timer(FROZEN, mode), stats.get("frozenMs"));
            }
            case SHIPPED -> {
                String transport = stats.containsKey("moved") ? "move" : "ftp";
                record(ship(mode, transport), stats.get("shipMs"));
                Long bytes = stats.get("shippedBytes");
                if (bytes != null && bytes > 0) {
                    shippedBytes(transport).increment(bytes);
                }
            }
            case RESTORED -> {
                record(timer(VERIFY, mode), stats.get("verifyMs"));
                record(timer(RESTORE, mode), stats.get("restoreMs"));
                record(timer(REQUEST_TO_RUNNING, mode), stats.get("acceptedToRunningMs"));
                // Without restoreMs it answers a redelivered request again: that request was counted.
                if (event.mode() != Mode.MIGRATE && stats.containsKey("restoreMs")) {
                    ended(mode, "restored", "none");
                }
            }
            case ORIGINAL_ENDED -> ended(mode, "restored", "none");
            case FAILED ->
                ended(
                        mode,
                        "failed",
                        event.reason() == null ? "none" : event.reason().code());
            case RETRYING ->
                Counter.builder(RETRIES)
                        .description("transient failures after which the broker redelivers a request")
                        .tag(
                                "reason",
                                event.reason() == null ? "none" : event.reason().code())
                        .register(registry)
                        .increment();
            default -> {
                // progress and the other steps carry no figures worth a meter
            }
        }
    }

    private void ended(String mode, String outcome, String reason) {
        Counter.builder(REQUESTS)
                .description("requests that ended at this node (the node that published their terminal event)")
                .tags("mode", mode, "outcome", outcome, "reason", reason)
                .register(registry)
                .increment();
    }

    private Timer timer(String name, String mode) {
        return histogram(Timer.builder(name).description(TIMERS.get(name)).tag("mode", mode));
    }

    private Timer ship(String mode, String transport) {
        return histogram(Timer.builder(SHIP).description(SHIP_HELP).tags("mode", mode, "transport", transport));
    }

    private Timer histogram(Timer.Builder builder) {
        return builder.serviceLevelObjectives(BUCKETS).register(registry);
    }

    private Counter shippedBytes(String transport) {
        return Counter.builder(SHIPPED_BYTES)
                .baseUnit("bytes")
                .description("bytes of images taken to targets: uploaded (ftp) or renamed in this node's spool (move)")
                .tag("transport", transport)
                .register(registry);
    }

    /** CRIU leaves out what it did not measure (-1 on older versions): no sample rather than a wrong one. */
    private static void record(Timer timer, Long millis) {
        if (millis != null && millis >= 0) {
            timer.record(millis, TimeUnit.MILLISECONDS);
        }
    }
}
