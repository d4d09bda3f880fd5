package dev.rfork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HumanTest {
    @Test
    void sizesInDecimalUnits() {
        assertThat(Human.bytes(999)).isEqualTo("999 B");
        assertThat(Human.bytes(12_300)).isEqualTo("12.3 kB");
        assertThat(Human.bytes(276_600_000)).isEqualTo("276.6 MB");
        assertThat(Human.bytes(1_081_900_000)).isEqualTo("1.08 GB");
    }

    @Test
    void timesInTheUnitThatReadsBest() {
        assertThat(Human.millis(245)).isEqualTo("245 ms");
        assertThat(Human.millis(1_450)).isEqualTo("1.45 s");
        assertThat(Human.millis(125_000)).isEqualTo("2 min 5 s");
    }

    @Test
    void anEventsFiguresAreNamedInWords() {
        Map<String, Long> stats = new LinkedHashMap<>();
        stats.put("dumpMs", 245L);
        stats.put("imageBytes", 276_600_000L);
        stats.put("pagesWritten", 67_000L);
        stats.put("shipMBps", 410L);
        stats.put("requestToRunningMs", 1_250L);

        assertThat(Human.stats(stats))
                .isEqualTo(
                        "dump 245 ms, image 276.6 MB, pages written 67000, ship rate 410 MB/s, request to running 1.25 s");
    }
}
