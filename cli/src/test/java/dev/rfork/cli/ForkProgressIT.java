package dev.rfork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.config.Settings;
import dev.rfork.worker.Worker;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.spool.RestoredRecord;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rfork fork --wait}, run as users run it, against a real worker that uploads a 256 MiB
 * process through FTP: on a terminal (a pseudo-terminal from util-linux {@code script}) it
 * rewrites one progress line in place; in a pipe it prints a plain line per phase. The first
 * hands the request over on the worker's local socket (what the CLI does when the worker runs in
 * its home), the second goes through the broker ({@code --broker}): both see every event.
 */
class ForkProgressIT {
    /** About 256 MiB resident, half random, so that the upload lasts long enough to be seen. */
    private static final String LARGE = """
            import os, time
            random = os.urandom(128 << 20)
            text = bytearray(128 << 20)
            for offset in range(0, len(text), 4096):
                text[offset] = 1
            print("ready", flush=True)
            while True:
                time.sleep(0.2)
            """;

    private static final Pattern REQUEST = Pattern.compile("^request [0-9a-f-]{36}\\R");
    private static final Pattern PHASE = Pattern.compile("^\\[ *[0-9.]+s\\] ([a-z-]+) ");
    private static final Pattern COPY = Pattern.compile("now also runs as PID (\\d+)");

    @TempDir
    static Path home;

    static Worker worker;

    @TempDir
    Path work;

    private final List<Long> started = new ArrayList<>();

    @BeforeAll
    static void startWorker() throws Exception {
        worker = Worker.start(WorkerConfig.creatingSecrets(Settings.load(
                Map.of(
                        "home",
                        home.toString(),
                        "node",
                        "127.0.0.1",
                        "broker.port",
                        freePort(),
                        "ftp.port",
                        freePort(),
                        "ftp.passive-ports",
                        "0",
                        "metrics.port",
                        "0",
                        // A copy to this very node goes through FTP, as to any other: there is an upload to watch.
                        "ship.local",
                        "ftp"),
                Map.of())));
    }

    @AfterAll
    static void stopWorker() throws IOException {
        if (worker == null) {
            return;
        }
        worker.close();
        try (var records = Files.list(worker.config().spool().resolve("inbox"))) {
            for (Path record : records.filter(file -> file.toString().endsWith(".restored"))
                    .toList()) {
                RestoredRecord.read(record)
                        .flatMap(copy -> ProcessHandle.of(copy.copyPid()))
                        .ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    @BeforeEach
    void checkScript() {
        assertThat(Path.of("/usr/bin/script"))
                .as("util-linux 'script' gives the CLI a terminal: apt-get install " + "bsdutils")
                .isExecutable();
    }

    @AfterEach
    void endProcesses() {
        started.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    @Test
    void onATerminalTheProgressLineIsRewrittenInPlaceWithTheRate() throws Exception {
        long pid = startLarge();

        String output = run(List.of("script", "-qfc", shellWords(cli(pid, false)), "/dev/null"));

        assertThat(output).as(output).containsPattern(REQUEST);
        // The terminal ends lines with \r\n; a rewrite is a \r that starts the line again.
        assertThat(output)
                .as(output)
                .containsPattern("\r\\[ *[0-9.]+s\\] shipping +[0-9.]+(/[0-9.]+)? MB +[0-9.]+ MB/s");
        assertThat(output).contains("restored: PID " + pid);
    }

    @Test
    void inAPipeEachPhaseIsAPlainLine() throws Exception {
        long pid = startLarge();

        String output = run(cli(pid, true));

        assertThat(output).as(output).containsPattern(REQUEST).doesNotContain("\r");
        List<String> phases = output.lines()
                .map(PHASE::matcher)
                .filter(Matcher::find)
                .map(line -> line.group(1))
                .toList();
        assertThat(phases)
                .as(output)
                .containsSubsequence("accepted", "dumped", "shipping", "shipped", "restore-queued", "restored")
                .containsOnlyOnce("shipping");
        assertThat(output)
                .containsPattern("shipping +on 127\\.0\\.0\\.1, [0-9.]+(/[0-9.]+)? MB +[0-9.]+ MB/s")
                .contains("restored: PID " + pid);
    }

    private List<String> cli(long pid, boolean throughTheBroker) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(
                java,
                "-XX:+UseSerialGC",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "fork",
                "--pid",
                Long.toString(pid),
                "--to",
                "127.0.0.1",
                "--wait",
                "--timeout",
                "120",
                "--home",
                home.toString()));
        if (throughTheBroker) {
            command.addAll(
                    List.of("--broker", "tcp://127.0.0.1:" + worker.config().brokerPort()));
        }
        return command;
    }

    /** Runs it to its end (stdin empty); returns what it printed, stdout and stderr together. */
    private String run(List<String> command) throws Exception {
        Path log = work.resolve("cli-" + System.nanoTime() + ".out");
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        if (!process.waitFor(150, TimeUnit.SECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        String output = Files.readString(log, StandardCharsets.UTF_8);
        Matcher copy = COPY.matcher(output);
        while (copy.find()) {
            started.add(Long.parseLong(copy.group(1)));
        }
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }

    /** The test process, in its own session with its descriptors closed, as a user's daemon runs. */
    private long startLarge() throws Exception {
        Path output = work.resolve("large.out");
        Process process = new ProcessBuilder("setsid", "python3", "-c", LARGE)
                .redirectOutput(output.toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        started.add(process.pid());
        long deadline = System.currentTimeMillis() + 30_000;
        while (!Files.readString(output).contains("ready")) {
            assertThat(System.currentTimeMillis())
                    .as("the test process is ready within 30 s")
                    .isLessThan(deadline);
            Thread.sleep(50);
        }
        return process.pid();
    }

    private static String shellWords(List<String> words) {
        return String.join(
                " ",
                words.stream()
                        .map(word -> "'" + word.replace("'", "'\\''") + "'")
                        .toList());
    }

    private static String freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return Integer.toString(socket.getLocalPort());
        }
    }
}
