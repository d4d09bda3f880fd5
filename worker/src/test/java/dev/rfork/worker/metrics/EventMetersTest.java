package dev.rfork.worker.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class EventMetersTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final EventMeters meters = new EventMeters(registry);

    private static Event event(EventType type, Mode mode, Map<String, Long> stats) {
        return Event.of(UUID.randomUUID(), type, mode, "127.0.0.1").withStats(stats);
    }

    private double requests(String mode, String outcome, String reason) {
        var counter = registry.find(EventMeters.REQUESTS)
                .tags("mode", mode, "outcome", outcome, "reason", reason)
                .counter();
        return counter == null ? 0 : counter.count();
    }

    private long samples(String timer, String mode) {
        return registry.get(timer).tag("mode", mode).timers().stream()
                .mapToLong(t -> t.count())
                .sum();
    }

    @Test
    void everyHistogramExistsAtZeroBeforeTheFirstRequest() {
        for (String timer : new String[] {
            EventMeters.DUMP,
            EventMeters.FROZEN,
            EventMeters.SHIP,
            EventMeters.VERIFY,
            EventMeters.RESTORE,
            EventMeters.REQUEST_TO_RUNNING
        }) {
            for (String mode : new String[] {"fork", "migrate"}) {
                assertThat(registry.get(timer).tag("mode", mode).timer().count())
                        .as(timer + " " + mode)
                        .isZero();
            }
        }
    }

    @Test
    void eachPhaseIsTimedFromItsEventsFigures() {
        meters.accept(event(EventType.DUMPED, Mode.FORK, Map.of("dumpMs", 120L, "frozenMs", 30L)));
        meters.accept(event(EventType.SHIPPED, Mode.FORK, Map.of("shipMs", 200L, "shippedBytes", 1000L)));
        meters.accept(event(
                EventType.RESTORED, Mode.FORK, Map.of("verifyMs", 7L, "restoreMs", 60L, "acceptedToRunningMs", 640L)));

        assertThat(registry.get(EventMeters.DUMP).tag("mode", "fork").timer().totalTime(TimeUnit.MILLISECONDS))
                .isEqualTo(120);
        assertThat(registry.get(EventMeters.FROZEN).tag("mode", "fork").timer().totalTime(TimeUnit.MILLISECONDS))
                .isEqualTo(30);
        assertThat(registry.get(EventMeters.SHIP)
                        .tags("mode", "fork", "transport", "ftp")
                        .timer()
                        .count())
                .isOne();
        assertThat(registry.get(EventMeters.SHIPPED_BYTES)
                        .tag("transport", "ftp")
                        .counter()
                        .count())
                .isEqualTo(1000);
        assertThat(samples(EventMeters.VERIFY, "fork")).isOne();
        assertThat(samples(EventMeters.RESTORE, "fork")).isOne();
        assertThat(registry.get(EventMeters.REQUEST_TO_RUNNING)
                        .tag("mode", "fork")
                        .timer()
                        .totalTime(TimeUnit.MILLISECONDS))
                .isEqualTo(640);
        assertThat(requests("fork", "restored", "none")).isOne();
    }

    @Test
    void aMoveWithinTheSpoolIsKeptApartFromUploads() {
        meters.accept(event(EventType.SHIPPED, Mode.FORK, Map.of("shipMs", 1L, "shippedBytes", 5000L, "moved", 1L)));

        assertThat(registry.get(EventMeters.SHIPPED_BYTES)
                        .tag("transport", "move")
                        .counter()
                        .count())
                .isEqualTo(5000);
        assertThat(registry.get(EventMeters.SHIPPED_BYTES)
                        .tag("transport", "ftp")
                        .counter()
                        .count())
                .isZero();
        assertThat(registry.get(EventMeters.SHIP)
                        .tags("mode", "fork", "transport", "move")
                        .timer()
                        .count())
                .isOne();
    }

    @Test
    void aRequestIsCountedOnceByTheNodeThatEndsIt() {
        // A migrate's copy running is not its end: the original ending is.
        meters.accept(event(EventType.RESTORED, Mode.MIGRATE, Map.of("restoreMs", 60L)));
        assertThat(requests("migrate", "restored", "none")).isZero();
        meters.accept(event(EventType.ORIGINAL_ENDED, Mode.MIGRATE, Map.of()));
        assertThat(requests("migrate", "restored", "none")).isOne();

        // A redelivered restore request answered again (no figures) was counted the first time.
        meters.accept(event(EventType.RESTORED, Mode.FORK, Map.of()));
        assertThat(requests("fork", "restored", "none")).isZero();
    }

    @Test
    void failuresAreCountedByReasonAndRetriesApart() {
        Event refused = Event.of(UUID.randomUUID(), EventType.FAILED, Mode.FORK, "n")
                .withFailure(Reason.NO_SUCH_PROCESS, "no such process", Map.of());
        Event unreadable =
                Event.of(null, EventType.FAILED, null, "n").withFailure(Reason.MALFORMED_MESSAGE, "not JSON", Map.of());
        Event retry = Event.of(UUID.randomUUID(), EventType.RETRYING, Mode.FORK, "n")
                .withFailure(Reason.TARGET_UNREACHABLE, "down", Map.of());

        meters.accept(refused);
        meters.accept(refused);
        meters.accept(unreadable);
        meters.accept(retry);

        assertThat(requests("fork", "failed", "NO_SUCH_PROCESS")).isEqualTo(2);
        assertThat(requests("unknown", "failed", "MALFORMED_MESSAGE")).isOne();
        assertThat(registry.get(EventMeters.RETRIES)
                        .tag("reason", "TARGET_UNREACHABLE")
                        .counter()
                        .count())
                .isOne();
        assertThat(requests("fork", "failed", "TARGET_UNREACHABLE")).isZero();
    }

    @Test
    void progressAndFiguresCriuDidNotReportLeaveNoSample() {
        meters.accept(event(EventType.SHIPPING, Mode.FORK, Map.of("shippedBytes", 10L, "shipMs", 5L)));
        meters.accept(event(EventType.DUMPED, Mode.FORK, Map.of("dumpMs", 80L, "frozenMs", -1L)));

        assertThat(registry.get(EventMeters.SHIP)
                        .tags("mode", "fork", "transport", "ftp")
                        .timer()
                        .count())
                .isZero();
        assertThat(registry.get(EventMeters.SHIPPED_BYTES)
                        .tag("transport", "ftp")
                        .counter()
                        .count())
                .isZero();
        assertThat(samples(EventMeters.DUMP, "fork")).isOne();
        assertThat(samples(EventMeters.FROZEN, "fork")).isZero();
    }
}
