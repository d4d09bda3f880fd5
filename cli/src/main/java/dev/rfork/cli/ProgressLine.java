package dev.rfork.cli;

import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What {@code fork} and {@code migrate --wait} show while they wait. On a terminal, one line
 * rewritten in place ({@code \r}) with the phase and, while the images are uploaded, bytes, MB/s
 * and the time left; elsewhere (a file, a pipe, a CI log) a plain line per phase, so that logs
 * stay readable. Figures come from the worker's events (its clock), not from this machine's.
 */
final class ProgressLine implements Consumer<Event> {
    private final PrintStream out;
    private final boolean live;
    private final long start = System.nanoTime();
    private int shown;
    private EventType last;

    ProgressLine(PrintStream out, boolean live) {
        this.out = out;
        this.live = live;
    }

    @Override
    public void accept(Event event) {
        boolean sameProgress = event.type().isProgress() && event.type() == last;
        last = event.type();
        if (live) {
            boolean transfer = event.type() == EventType.SHIPPING || event.type() == EventType.SHIPPED;
            String line = head(event) + (transfer ? transfer(event.stats()) : " on " + event.node());
            // Spaces over what is left of a longer line before, and no newline: the next one overwrites it.
            out.print("\r" + line + " ".repeat(Math.max(0, shown - line.length())));
            out.flush();
            shown = line.length();
        } else if (!sameProgress) {
            out.println(plain(event));
        }
    }

    /** Ends the line being rewritten, so what follows starts on a line of its own. */
    void end() {
        if (live && shown > 0) {
            out.println();
            shown = 0;
        }
    }

    private String head(Event event) {
        double seconds = (System.nanoTime() - start) / 1e9;
        return String.format(
                Locale.ROOT, "[%6.2fs] %-15s", seconds, event.type().wireName());
    }

    private String plain(Event event) {
        StringBuilder line = new StringBuilder(head(event)).append(" on ").append(event.node());
        if (event.target() != null && !event.target().equals(event.node())) {
            // A request with several targets: which copy this is about.
            line.append(" for ").append(event.target());
        }
        if (event.type() == EventType.SHIPPING) {
            return line.append(",").append(transfer(event.stats())).toString();
        }
        if (event.childPid() != null) {
            line.append(", copy PID ").append(event.childPid()).append(" on ").append(event.childNode());
        }
        if (event.reason() != null) {
            line.append(", ").append(event.reason().code()).append(": ").append(event.detail());
        }
        if (!event.stats().isEmpty()) {
            line.append(": ").append(Human.stats(event.stats()));
        }
        return line.toString();
    }

    /** {@code 120.5/276.1 MB  215.3 MB/s  ETA 0.7s}; the total and the time left once the worker knows them. */
    static String transfer(Map<String, Long> stats) {
        long done = stats.getOrDefault("shippedBytes", 0L);
        long millis = stats.getOrDefault("shipMs", 0L);
        Long total = stats.get("totalBytes");
        double rate = millis > 0 ? done / 1e3 / millis : 0; // MB/s: bytes per ms / 1000
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, " %.1f", done / 1e6));
        if (total != null) {
            text.append(String.format(Locale.ROOT, "/%.1f", total / 1e6));
        }
        text.append(String.format(Locale.ROOT, " MB  %.1f MB/s", rate));
        if (total != null && rate > 0) {
            text.append(String.format(Locale.ROOT, "  ETA %.1fs", Math.max(0, total - done) / 1e6 / rate));
        }
        return text.toString();
    }
}
