package dev.rfork.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A newcomer's first minutes, through the launcher: in a fresh clone with a fresh home,
 * {@code ./rfork worker &} and at once a loop of {@code ./rfork doctor}, then a fork with
 * {@code --wait}. The two launchers share one build (a lock), clients wait for the worker's
 * secrets instead of making their own, and the fork works the first time.
 */
class LauncherIT {
    private static final long DEADLINE_MILLIS = 600_000;

    @TempDir
    Path work;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void endEverything() throws InterruptedException {
        for (Process process : started) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroy();
            if (!process.waitFor(40, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void aWorkerAndItsClientsStartedTogetherInAFreshCloneWorkTheFirstTime() throws Exception {
        Path clone = work.resolve("clone");
        run(
                List.of(
                        "git",
                        "clone",
                        "--quiet",
                        Path.of(System.getProperty("rfork.root")).toRealPath().toString(),
                        clone.toString()),
                work,
                Map.of(),
                120);
        Map<String, String> env = Map.of(
                "RFORK_HOME",
                work.resolve("home").toString(),
                "RFORK_BROKER_PORT",
                Integer.toString(freePort()),
                "RFORK_FTP_PORT",
                Integer.toString(freePort()),
                "RFORK_FTP_PASSIVE_PORTS",
                "0");

        Process worker = start(List.of("setsid", "./rfork", "worker"), clone, env, work.resolve("worker.log"));
        long deadline = System.currentTimeMillis() + DEADLINE_MILLIS;
        int doctorStatus;
        int attempts = 0;
        do {
            assertThat(worker.isAlive())
                    .as("the worker died:%n%s", Files.readString(work.resolve("worker.log")))
                    .isTrue();
            doctorStatus = run(List.of("./rfork", "doctor"), clone, env, 300);
            attempts++;
        } while (doctorStatus != 0 && System.currentTimeMillis() < deadline && pause());
        assertThat(doctorStatus)
                .as("doctor after %d attempts; worker log:%n%s", attempts, Files.readString(work.resolve("worker.log")))
                .isZero();

        Process counter = start(
                List.of(
                        "setsid",
                        "python3",
                        "-c",
                        "import time\nn=0\nwhile True:\n    n+=1\n    print(n, flush=True)\n    time.sleep(0.1)"),
                work,
                Map.of(),
                work.resolve("counter.out"));
        int forkStatus = run(
                List.of(
                        "./rfork",
                        "fork",
                        "--pid",
                        Long.toString(counter.pid()),
                        "--to",
                        "127.0.0.1",
                        "--wait",
                        "--json"),
                clone,
                env,
                300);

        assertThat(forkStatus)
                .as("fork --wait; output:%n%s", Files.readString(work.resolve("last.out")))
                .isZero();
        assertThat(Files.readString(work.resolve("last.out"))).contains("\"status\":\"restored\"");
        endCopy(Files.readString(work.resolve("last.out")));
        // The first fork that succeeded left the class archive later forks map.
        try (var launch = Files.list(clone.resolve("cli/target/launch"))) {
            assertThat(launch.map(path -> path.getFileName().toString())).anyMatch(name -> name.endsWith(".fork.jsa"));
        }
    }

    /** The copy runs outside the test's process tree: it is ended by the PID the outcome names. */
    private static void endCopy(String outcome) {
        Matcher matcher = Pattern.compile("\"childPid\":(\\d+)").matcher(outcome);
        if (matcher.find()) {
            ProcessHandle.of(Long.parseLong(matcher.group(1))).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private Process start(List<String> command, Path dir, Map<String, String> env, Path output) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().putAll(env);
        Process process = builder.start();
        started.add(process);
        return process;
    }

    /** Runs a command to its end; its output goes to {@code last.out}. */
    private int run(List<String> command, Path dir, Map<String, String> env, int timeoutSeconds) throws Exception {
        Process process = start(command, dir, env, work.resolve("last.out"));
        assertThat(process.waitFor(timeoutSeconds, TimeUnit.SECONDS))
                .as("%s finished", command)
                .isTrue();
        started.remove(process);
        return process.exitValue();
    }

    private static boolean pause() throws InterruptedException {
        Thread.sleep(200);
        return true;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
