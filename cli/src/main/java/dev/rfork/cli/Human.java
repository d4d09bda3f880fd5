package dev.rfork.cli;

import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Sizes and times as people read them ({@code 276.6 MB}, {@code 245 ms}, {@code 1.45 s}) in what
 * the CLI prints for people; {@code --json} keeps the raw numbers and names for programs.
 */
final class Human {
    private Human() {}

    /** Decimal units, as disks and networks count: 999 B, 12.3 kB, 276.6 MB, 1.08 GB. */
    static String bytes(long bytes) {
        if (bytes < 1_000) {
            return bytes + " B";
        }
        if (bytes < 1_000_000) {
            return String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
        }
        if (bytes < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }

    /** 245 ms, 1.45 s, 2 min 5 s. */
    static String millis(long millis) {
        if (millis < 1_000) {
            return millis + " ms";
        }
        if (millis < 60_000) {
            return String.format(Locale.ROOT, "%.2f s", millis / 1e3);
        }
        return millis / 60_000 + " min " + millis % 60_000 / 1_000 + " s";
    }

    /**
     * An event's figures, named in words: {@code dumpMs} is a time, {@code imageBytes} a size,
     * {@code shipMBps} a rate ({@code ship rate 410 MB/s}); other figures are counts ({@code {dumpMs=245, imageBytes=276600000}}
     * reads {@code dump 245 ms, image 276.6 MB}).
     */
    static String stats(Map<String, Long> stats) {
        StringJoiner text = new StringJoiner(", ");
        stats.forEach((name, value) -> {
            if (name.endsWith("MBps")) {
                text.add(words(name, "MBps") + " rate " + value + " MB/s");
            } else if (name.endsWith("Ms")) {
                text.add(words(name, "Ms") + " " + millis(value));
            } else if (name.endsWith("Bytes")) {
                text.add(words(name, "Bytes") + " " + bytes(value));
            } else {
                text.add(words(name, "") + " " + value);
            }
        });
        return text.toString();
    }

    /** {@code pagesWritten} -> {@code pages written}; {@code requestToRunningMs} -> {@code request to running}. */
    private static String words(String name, String suffix) {
        String base = name.substring(0, name.length() - suffix.length());
        return base.replaceAll("([a-z0-9])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
    }
}
