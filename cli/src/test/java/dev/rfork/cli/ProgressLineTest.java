package dev.rfork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.message.Mode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ProgressLineTest {
    private static final UUID ID = UUID.randomUUID();

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private static Event event(EventType type, Map<String, Long> stats) {
        return Event.of(ID, type, Mode.FORK, "127.0.0.1").withStats(stats);
    }

    private static Event shipping(long done, long millis) {
        return event(EventType.SHIPPING, Map.of("shippedBytes", done, "shipMs", millis, "totalBytes", 300_000_000L));
    }

    private void show(ProgressLine progress) {
        progress.accept(event(EventType.ACCEPTED, Map.of()));
        progress.accept(event(EventType.DUMPED, Map.of("dumpMs", 900L)));
        progress.accept(shipping(1_000_000, 0));
        progress.accept(shipping(100_000_000, 250));
        progress.accept(shipping(200_000_000, 500));
        progress.accept(event(EventType.SHIPPED, Map.of("shipMs", 700L, "shippedBytes", 300_000_000L)));
        progress.accept(event(EventType.RESTORED, Map.of("restoreMs", 80L)));
        progress.end();
    }

    @Test
    void onATerminalOneLineIsRewrittenInPlaceWithBytesRateAndTimeLeft() {
        show(new ProgressLine(out, true));

        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text).startsWith("\r[").endsWith("\n").containsOnlyOnce("\n");
        assertThat(text)
                .contains(
                        "\r[",
                        "shipping",
                        "200.0/300.0 MB  400.0 MB/s  ETA 0.3s",
                        "shipped         300.0 MB  428.6 MB/s",
                        "restored");
    }

    @Test
    void elsewhereEachPhaseIsOnePlainLineAndProgressOnlyOnce() {
        show(new ProgressLine(out, false));

        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(text).doesNotContain("\r");
        assertThat(text.lines()).hasSize(5);
        assertThat(text.lines().filter(line -> line.contains("shipping")))
                .singleElement()
                .satisfies(line -> assertThat(line).contains("1.0/300.0 MB", "MB/s"));
    }

    @Test
    void withoutTheTotalYetTheTransferHasNoTimeLeft() {
        assertThat(ProgressLine.transfer(Map.of("shippedBytes", 50_000_000L, "shipMs", 100L)))
                .isEqualTo(" 50.0 MB  500.0 MB/s");
    }
}
