package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.client.Outcome;
import dev.rfork.client.RequestSender;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.worker.criu.ProcFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Real processes to fork, started the way users start daemons, and ended after each test
 * (by PID, with their copies and the copies' CRIU holders).
 */
final class TestProcesses implements AutoCloseable {
    /** Counts up ten times a second on stdout; its state is the counter in its memory. */
    static final String COUNTER = """
            import time
            n = 0
            while True:
                n += 1
                print(f"tick {n}", flush=True)
                time.sleep(0.1)
            """;

    /** {@link #COUNTER} holding {@code mib} MiB of random bytes resident: its dump and upload take a while. */
    static String holding(int mib) {
        return """
                import os, time
                data = os.urandom(%d << 20)
                n = 0
                while True:
                    n += 1
                    print(f"tick {n}", flush=True)
                    time.sleep(0.1)
                """.formatted(mib);
    }

    /** About 256 MiB resident, half random (so it does not compress away), then idle. */
    static final String LARGE = """
            import os, time
            random = os.urandom(128 << 20)
            text = bytearray(128 << 20)
            for offset in range(0, len(text), 4096):
                text[offset] = 1
            print("tick 1", flush=True)
            while True:
                time.sleep(0.2)
            """;

    private final Path dir;
    private final List<Long> started = new ArrayList<>();

    TestProcesses(Path dir) {
        this.dir = dir;
    }

    /** Starts {@code python3 -c program} in its own session, stdout to {@code output} (truncated, not appended). */
    long start(String program, Path output) throws IOException {
        Process process = new ProcessBuilder("setsid", "python3", "-c", program)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(output.toFile())
                .redirectError(dir.resolve("stderr-" + System.nanoTime()).toFile())
                .start();
        started.add(process.pid());
        return process.pid();
    }

    long startCounter(Path output) throws IOException {
        return start(COUNTER, output);
    }

    /** Remembers a process to end after the test (a copy, say). */
    void track(long pid) {
        started.add(pid);
    }

    static List<Integer> ticks(Path output) throws IOException {
        if (!Files.exists(output)) {
            return List.of();
        }
        return Files.readAllLines(output).stream()
                .filter(line -> line.startsWith("tick "))
                .map(line -> Integer.valueOf(line.substring(5).trim()))
                .toList();
    }

    static int lastTick(Path output) throws IOException {
        List<Integer> ticks = ticks(output);
        return ticks.isEmpty() ? 0 : ticks.get(ticks.size() - 1);
    }

    static void awaitTicks(Path output, int count) throws Exception {
        long deadline = System.currentTimeMillis() + 10_000;
        while (lastTick(output) < count) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("no tick " + count + " in " + output + " within 10 s");
            }
            Thread.sleep(20);
        }
    }

    /**
     * Starts a fresh counter and forks it to {@code target} through {@code client}: the request
     * after a fault is served. The copy is ended with the other processes.
     */
    void assertTheNextForkIsServed(RequestSender client, String target) throws Exception {
        Path output = dir.resolve("next-" + System.nanoTime() + ".out");
        long next = startCounter(output);
        awaitTicks(output, 2);
        Outcome served = client.forkAndWait(ForkRequest.of(next, target, Mode.FORK), Duration.ofSeconds(90), e -> {});
        if (served.childPid() != null) {
            track(served.childPid());
        }
        assertThat(served.status())
                .as("the next request: %s %s", served.reason(), served.detail())
                .isEqualTo(Outcome.RESTORED);
    }

    static String state(long pid) {
        return ProcFs.state(pid);
    }

    @Override
    public void close() {
        for (long pid : started) {
            // A copy's CRIU holder exits by itself once the copy is gone.
            ProcessHandle.of(pid).ifPresent(process -> {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            });
        }
    }
}
