package dev.rfork.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** The figures of a load run: counts, wall time, throughput, latency percentiles; a summary and one CSV line per request. */
final class LoadReport {

    /**
     * One request as it ended.
     *
     * @param requestToRunningMs the producer's send to the target's {@code restored} event
     * @param queuedMs           the producer's send to the source's {@code accepted} event (waiting in {@code checkpoint})
     */
    record Row(
            UUID requestId,
            int producer,
            String source,
            long pid,
            String target,
            String status,
            String reason,
            Long childPid,
            Long requestToRunningMs,
            Long queuedMs,
            Long dumpMs,
            Long shipMs,
            Long restoreMs) {
        boolean restored() {
            return "restored".equals(status);
        }

        boolean sameNode() {
            return source.equals(target);
        }
    }

    private final List<Row> rows;
    private final Duration wall;
    private final int producers;

    LoadReport(List<Row> rows, Duration wall, int producers) {
        this.rows = List.copyOf(rows);
        this.wall = wall;
        this.producers = producers;
    }

    long restored() {
        return rows.stream().filter(Row::restored).count();
    }

    double forksPerSecond() {
        return restored() / (wall.toMillis() / 1000.0);
    }

    String summary() {
        List<String> lines = new ArrayList<>();
        lines.add("Load across the cluster, " + LocalDateTime.now().truncatedTo(ChronoUnit.SECONDS));
        lines.add(String.format(
                "requests %d from %d producers; restored %d; ended otherwise %s",
                rows.size(), producers, restored(), otherwise()));
        lines.add(String.format(
                "wall %.1f s (first send to last end); %.2f forks/s", wall.toMillis() / 1000.0, forksPerSecond()));
        lines.add("request->running ms, all      " + spread(Row::requestToRunningMs, row -> true));
        lines.add("request->running ms, same-node " + spread(Row::requestToRunningMs, Row::sameNode));
        lines.add("request->running ms, cross-node " + spread(Row::requestToRunningMs, row -> !row.sameNode()));
        lines.add("request->running ms, to node3 (vsftpd) "
                + spread(Row::requestToRunningMs, row -> row.target().equals("node3")));
        lines.add("queued in checkpoint ms       " + spread(Row::queuedMs, row -> true));
        lines.add("dump ms " + spread(Row::dumpMs, row -> true) + "; ship ms " + spread(Row::shipMs, row -> true)
                + "; restore ms " + spread(Row::restoreMs, row -> true));
        lines.add("pairs (source>target: restored/sent) " + pairs());
        return String.join("\n", lines);
    }

    private String otherwise() {
        Map<String, Long> ends = rows.stream()
                .filter(row -> !row.restored())
                .collect(Collectors.groupingBy(
                        row -> row.status() + (row.reason() == null ? "" : " " + row.reason()),
                        TreeMap::new,
                        Collectors.counting()));
        return ends.isEmpty() ? "none" : ends.toString();
    }

    private String pairs() {
        Map<String, List<Row>> byPair = rows.stream()
                .collect(Collectors.groupingBy(
                        row -> row.source() + ">" + row.target(), TreeMap::new, Collectors.toList()));
        return byPair.entrySet().stream()
                .map(e -> e.getKey() + " "
                        + e.getValue().stream().filter(Row::restored).count() + "/"
                        + e.getValue().size())
                .collect(Collectors.joining(", "));
    }

    /** median / p95 / max of a figure over the restored rows that match. */
    private String spread(Function<Row, Long> figure, Predicate<Row> which) {
        List<Long> values = rows.stream()
                .filter(Row::restored)
                .filter(which)
                .map(figure)
                .filter(Objects::nonNull)
                .sorted()
                .toList();
        if (values.isEmpty()) {
            return "n/a";
        }
        return String.format(
                "median %d, p95 %d, max %d (n=%d)",
                percentile(values, 50), percentile(values, 95), values.get(values.size() - 1), values.size());
    }

    /** Nearest rank: the smallest value with at least p% of the values at or below it. */
    static long percentile(List<Long> sorted, int p) {
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

    String csv() {
        StringBuilder out = new StringBuilder("requestId,producer,source,pid,target,status,reason,childPid,"
                + "requestToRunningMs,queuedMs,dumpMs,shipMs,restoreMs\n");
        for (Row row : rows) {
            out.append(String.join(
                            ",",
                            List.of(
                                    String.valueOf(row.requestId()),
                                    String.valueOf(row.producer()),
                                    row.source(),
                                    String.valueOf(row.pid()),
                                    row.target(),
                                    row.status(),
                                    text(row.reason()),
                                    text(row.childPid()),
                                    text(row.requestToRunningMs()),
                                    text(row.queuedMs()),
                                    text(row.dumpMs()),
                                    text(row.shipMs()),
                                    text(row.restoreMs()))))
                    .append('\n');
        }
        return out.toString();
    }

    private static String text(Object value) {
        return value == null ? "" : value.toString();
    }

    /** Writes NAME.txt (the summary) and NAME.csv into {@code dir}; returns the summary's path. */
    Path write(Path dir, String name) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name + ".csv"), csv());
            return Files.writeString(dir.resolve(name + ".txt"), summary() + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the load report into " + dir, e);
        }
    }
}
