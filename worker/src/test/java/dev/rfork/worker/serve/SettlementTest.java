package dev.rfork.worker.serve;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.message.Disposition;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettlementTest {
    private static final int MAX_ATTEMPTS = 3;

    @ParameterizedTest(name = "{0} on attempt {1}, committed={2} -> {3}")
    @CsvSource({
        "DEAD_LETTER, 1, false, DEAD_LETTER",
        "DEAD_LETTER, 3, false, DEAD_LETTER",
        "ANSWER,      1, false, ANSWER",
        "ANSWER,      3, false, ANSWER",
        "REDELIVER,   1, false, RETRY",
        "REDELIVER,   2, false, RETRY",
        "REDELIVER,   3, false, DEAD_LETTER",
        "REDELIVER,   7, false, DEAD_LETTER",
        "REDELIVER,   1, true,  REPORT",
        "ANSWER,      1, true,  REPORT",
        "DEAD_LETTER, 2, true,  REPORT",
    })
    void aFailuresDispositionAttemptAndAcknowledgementDecideWhatBecomesOfTheMessage(
            Disposition disposition, int attempt, boolean committed, Settlement expected) {
        assertThat(Settlement.of(disposition, attempt, MAX_ATTEMPTS, committed)).isEqualTo(expected);
    }
}
