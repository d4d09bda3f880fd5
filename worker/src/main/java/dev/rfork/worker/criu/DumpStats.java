package dev.rfork.worker.criu;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the statistics that {@code criu dump --display-stats} prints. */
final class DumpStats {
    private DumpStats() {}

    static Criu.DumpResult parse(String output, long elapsedMillis) {
        return new Criu.DumpResult(
                number(output, "Freezing time"),
                number(output, "Frozen time"),
                number(output, "Memory dump time"),
                number(output, "Memory write time"),
                number(output, "Memory pages written"),
                elapsedMillis);
    }

    private static long number(String output, String label) {
        Matcher matcher = Pattern.compile(Pattern.quote(label) + ":\\s*(\\d+)").matcher(output);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
    }
}
