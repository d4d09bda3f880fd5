package dev.rfork.worker.criu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DumpStatsTest {
    /** What criu 4.2 printed for `criu dump --display-stats` of a small python loop on this machine. */
    private static final String CRIU_OUTPUT = """
            Displaying dump stats:
            Freezing time: 231 us
            Frozen time: 12624 us
            Memory dump time: 2733 us
            Memory write time: 1835 us
            IRMAP resolve time: 0 us
            Memory pages scanned: 773 (0x305)
            Memory pages skipped from parent dump: 0 (0x0)
            Memory pages written: 702 (0x2be)
            Lazy memory pages: 0 (0x0)
            """;

    @Test
    void readsEveryNumberCriuPrints() {
        Criu.DumpResult result = DumpStats.parse(CRIU_OUTPUT, 57);

        assertThat(result).isEqualTo(new Criu.DumpResult(231, 12624, 2733, 1835, 702, 57));
    }

    @Test
    void statsAmongOtherOutputAreFound() {
        String output = "Warn  (criu/kerndat.c:1): Can't keep kdat cache on non-tempfs\n" + CRIU_OUTPUT
                + "rlimit: Can't setup RLIMIT_NOFILE for self: Operation not permitted\n";

        assertThat(DumpStats.parse(output, 1).pagesWritten()).isEqualTo(702);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Error (criu/cr-dump.c:2093): Dumping FAILED.\n", "Frozen time: n/a us\n"})
    void missingValuesAreMinusOne(String output) {
        Criu.DumpResult result = DumpStats.parse(output, 42);

        assertThat(result).isEqualTo(new Criu.DumpResult(-1, -1, -1, -1, -1, 42));
    }

    @Test
    void eachMissingLineLeavesOnlyItsOwnValueUnknown() {
        String output =
                CRIU_OUTPUT.replace("Frozen time: 12624 us\n", "").replace("Memory pages written: 702 (0x2be)\n", "");

        Criu.DumpResult result = DumpStats.parse(output, 7);

        assertThat(result).isEqualTo(new Criu.DumpResult(231, -1, 2733, 1835, -1, 7));
    }
}
