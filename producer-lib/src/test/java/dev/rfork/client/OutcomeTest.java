package dev.rfork.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class OutcomeTest {
    private static final UUID ID = UUID.randomUUID();

    private static Event event(EventType type, Mode mode) {
        return Event.of(ID, type, mode, "127.0.0.1").withPid(42L);
    }

    @Test
    void aRequestWithoutAnEndingEventIsInProgress() {
        Outcome outcome = Outcome.known(
                ID,
                List.of(
                        event(EventType.ACCEPTED, Mode.FORK),
                        event(EventType.DUMPED, Mode.FORK).withStats(Map.of("dumpMs", 12L))));

        assertThat(outcome.status()).isEqualTo(Outcome.IN_PROGRESS);
        assertThat(outcome.reason()).isNull();
        assertThat(outcome.timings()).containsEntry("dumpMs", 12L);
    }

    @Test
    void progressAndEventTypesOfLaterVersionsAreNeitherAnEndNorTimings() {
        Event shipping = event(EventType.SHIPPING, Mode.FORK)
                .withStats(Map.of("shippedBytes", 5L, "totalBytes", 10L, "shipMs", 1L));
        Event later = Messages.fromJson(
                "{\"version\":1,\"requestId\":\"" + ID + "\",\"type\":\"compressing\","
                        + "\"mode\":\"fork\",\"node\":\"n\",\"at\":\"2025-06-01T10:15:30Z\",\"stats\":{\"ratio\":2}}",
                Event.class);

        assertThat(later.type()).isEqualTo(EventType.UNKNOWN);
        assertThat(later.isTerminal()).isFalse();
        assertThat(shipping.isTerminal()).isFalse();
        Outcome outcome = Outcome.known(ID, List.of(event(EventType.ACCEPTED, Mode.FORK), shipping, later));
        assertThat(outcome.status()).isEqualTo(Outcome.IN_PROGRESS);
        assertThat(outcome.timings()).doesNotContainKeys("shippedBytes", "totalBytes", "shipMs", "ratio");
    }

    @Test
    void aRestoredEventGivesTheCopysNodeAndPid() {
        Outcome outcome = Outcome.known(
                ID,
                List.of(
                        event(EventType.ACCEPTED, Mode.FORK),
                        event(EventType.RESTORED, Mode.FORK).withChild("127.0.0.2", 777L)));

        assertThat(outcome.status()).isEqualTo(Outcome.RESTORED);
        assertThat(outcome.node()).isEqualTo("127.0.0.2");
        assertThat(outcome.childPid()).isEqualTo(777L);
    }

    @Test
    void aRetryIsNotAnEndButAFailureIs() {
        Event retrying = event(EventType.RETRYING, Mode.FORK).withFailure(Reason.TARGET_UNREACHABLE, "down", Map.of());
        Event failed =
                event(EventType.FAILED, Mode.FORK).withFailure(Reason.TARGET_UNREACHABLE, "still down", Map.of());

        assertThat(Outcome.known(ID, List.of(retrying)).status()).isEqualTo(Outcome.IN_PROGRESS);
        Outcome outcome = Outcome.known(ID, List.of(retrying, failed));
        assertThat(outcome.status()).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).isEqualTo(Reason.TARGET_UNREACHABLE);
    }

    @Test
    void aMigrateRolledBackAfterItsRestoreFailedHasFailed() {
        Outcome outcome = Outcome.known(
                ID,
                List.of(
                        event(EventType.RESTORE_FAILED, Mode.MIGRATE)
                                .withFailure(Reason.CRIU_RESTORE_FAILED, "no", Map.of()),
                        event(EventType.ROLLED_BACK, Mode.MIGRATE)
                                .withFailure(Reason.CRIU_RESTORE_FAILED, "resumed", Map.of())));

        assertThat(outcome.status()).isEqualTo(Outcome.FAILED);
        assertThat(outcome.reason()).isEqualTo(Reason.CRIU_RESTORE_FAILED);
    }
}
