package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.worker.criu.ProcFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * What ended requests may leave in a node's spool (guarantees.md, "Nothing left behind"): nothing
 * in {@code outbox/} or {@code held/}, and in {@code inbox/} only a running copy's record
 * ({@code <id>.restored}) and output ({@code <id>.out}).
 */
final class Leftovers {
    private Leftovers() {}

    /** Waits a moment for them to go (files are deleted right after the events), then fails naming them. */
    static void assertNone(Path spool, UUID... requests) throws Exception {
        try {
            Await.until(
                    "nothing left behind",
                    Duration.ofSeconds(15),
                    () -> in(spool, requests).isEmpty());
        } catch (AssertionError e) {
            assertThat(in(spool, requests)).as("left behind in " + spool).isEmpty();
        }
    }

    /** Everything of the outbox and held/; what the requests left in the inbox that no running copy needs. */
    static List<String> in(Path spool, UUID... requests) throws IOException {
        List<String> left = new ArrayList<>();
        entries(spool.resolve("outbox")).forEach(name -> left.add("outbox/" + name));
        entries(spool.resolve("held")).forEach(name -> left.add("held/" + name));
        List<String> ids = Arrays.stream(requests).map(UUID::toString).toList();
        for (String name : entries(spool.resolve("inbox"))) {
            String id = name.split("\\.", 2)[0];
            if (ids.contains(id)
                    && !((name.endsWith(".restored") || name.endsWith(".out"))
                            && copyRuns(spool.resolve("inbox").resolve(id + ".restored")))) {
                left.add("inbox/" + name);
            }
        }
        return left;
    }

    static List<String> entries(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(file -> file.getFileName().toString()).sorted().toList();
        }
    }

    private static boolean copyRuns(Path record) throws IOException {
        return Files.exists(record)
                && ProcFs.isRunning(
                        Long.parseLong(Files.readString(record).trim().split("\\s+")[0]));
    }
}
