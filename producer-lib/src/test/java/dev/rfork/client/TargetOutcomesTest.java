package dev.rfork.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class TargetOutcomesTest {
    private static final UUID ID = UUID.randomUUID();
    private static final String SOURCE = "10.0.0.4";
    private final TargetOutcomes targets = new TargetOutcomes(SOURCE, List.of("10.0.0.5", "10.0.0.4"));

    private static Event from(String node, EventType type) {
        return Event.of(ID, type, Mode.FORK, node).withPid(42L);
    }

    @Test
    void theRequestEndsOnlyWhenEveryTargetHasItsOutcome() {
        List<Event> seen = new ArrayList<>(List.of(
                from(SOURCE, EventType.ACCEPTED),
                from(SOURCE, EventType.DUMPED),
                from(SOURCE, EventType.SHIPPED).withTarget("10.0.0.5"),
                from(SOURCE, EventType.SHIPPED).withTarget(SOURCE),
                // The copy on the source node itself: its restore says which target it is.
                from(SOURCE, EventType.RESTORED).withTarget(SOURCE).withChild(SOURCE, 901L)));
        assertThat(targets.allEnded(seen)).isFalse();

        seen.add(from("10.0.0.5", EventType.RESTORED).withTarget("10.0.0.5").withChild("10.0.0.5", 902L));

        assertThat(targets.allEnded(seen)).isTrue();
        List<Outcome> outcomes = targets.outcomes(ID, Instant.now(), seen, false);
        assertThat(outcomes).extracting(Outcome::node).containsExactly("10.0.0.5", SOURCE);
        assertThat(outcomes).extracting(Outcome::status).containsOnly(Outcome.RESTORED);
        assertThat(outcomes).extracting(Outcome::childPid).containsExactly(902L, 901L);
        // Each outcome holds the request's common events and its own target's only.
        assertThat(outcomes.get(0).events())
                .extracting(Event::type)
                .containsExactly(EventType.ACCEPTED, EventType.DUMPED, EventType.SHIPPED, EventType.RESTORED);
    }

    @Test
    void oneTargetsFailureEndsThatTargetOnlyAndTheOtherMayTimeOut() {
        List<Event> seen = List.of(
                from(SOURCE, EventType.ACCEPTED),
                from(SOURCE, EventType.DUMPED),
                from(SOURCE, EventType.FAILED)
                        .withTarget("10.0.0.5")
                        .withFailure(Reason.TARGET_UNREACHABLE, "no answer", Map.of("host", "10.0.0.5")));

        assertThat(targets.allEnded(seen)).isFalse();
        List<Outcome> outcomes = targets.outcomes(ID, Instant.now(), seen, true);
        assertThat(outcomes.get(0).status()).isEqualTo(Outcome.FAILED);
        assertThat(outcomes.get(0).reason()).isEqualTo(Reason.TARGET_UNREACHABLE);
        assertThat(outcomes.get(0).node()).isEqualTo("10.0.0.5");
        assertThat(outcomes.get(1).status()).isEqualTo(Outcome.TIMEOUT);
    }

    @Test
    void aFailureOfTheWholeRequestEndsEveryTarget() {
        List<Event> seen = List.of(
                from(SOURCE, EventType.ACCEPTED),
                from(SOURCE, EventType.FAILED).withFailure(Reason.CRIU_DUMP_FAILED, "dump failed", Map.of()));

        assertThat(targets.allEnded(seen)).isTrue();
        assertThat(targets.outcomes(ID, Instant.now(), seen, false))
                .extracting(Outcome::reason)
                .containsOnly(Reason.CRIU_DUMP_FAILED);
    }
}
