package dev.rfork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rfork.worker.criu.ProcFs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Programs that fork themselves: a JVM with default flags, and Python over bare STOMP.
 * Each starts in a session of its own, as from a shell or a service manager: a test runner's
 * session may be init's (session id 0), which CRIU cannot checkpoint (see RequestValidator).
 */
class SelfForkIT extends OneNodeTest {
    private static final Pattern CHILD_PID = Pattern.compile("parent request=(\\S+) .*childPid=(\\d+)");

    @Test
    void aJvmForksItselfBothSidesKnowWhichTheyAreAndTheOriginalsConnectionKeepsWorking() throws Exception {
        Path output = work.resolve("app.out");
        long pid = startJavaApp(output, "127.0.0.1", "fork");

        String parentLine = awaitLine(output, "parent request=");
        Matcher matcher = CHILD_PID.matcher(parentLine);
        assertThat(matcher.find()).as(parentLine).isTrue();
        long child = Long.parseLong(matcher.group(2));
        processes.track(child);
        Path childOutput = node.childOutput(UUID.fromString(matcher.group(1)));

        assertThat(awaitLine(output, "parent connection")).endsWith("works");
        assertThat(awaitLine(childOutput, "child request=")).contains("parentPid=" + pid);
        awaitLine(childOutput, "alive child 20");
        assertThat(ProcFs.isRunning(pid)).isTrue();
        assertThat(ProcFs.isRunning(child)).isTrue();
    }

    /** The copy forks itself again, from inside its PID namespace: three JVMs count on. */
    @Test
    void aJvmCopyForksItselfAgain() throws Exception {
        Path output = work.resolve("twice.out");
        long pid = startJavaApp(output, "127.0.0.1", "fork-twice");

        Matcher first = CHILD_PID.matcher(awaitLine(output, "parent request="));
        assertThat(first.find()).isTrue();
        long child = Long.parseLong(first.group(2));
        processes.track(child);
        Path childOutput = node.childOutput(UUID.fromString(first.group(1)));

        Matcher second = Pattern.compile("again-parent request=(\\S+) .*childPid=(\\d+)")
                .matcher(awaitLine(childOutput, "again-parent request="));
        assertThat(second.find()).isTrue();
        long grandchild = Long.parseLong(second.group(2));
        processes.track(grandchild);
        Path grandchildOutput = node.childOutput(UUID.fromString(second.group(1)));

        assertThat(awaitLine(grandchildOutput, "again-child request=")).isNotEmpty();
        awaitLine(grandchildOutput, "alive again-child 10");
        awaitLine(childOutput, "alive child 10");
        assertThat(ProcFs.isRunning(pid)).isTrue();
        assertThat(ProcFs.isRunning(child)).isTrue();
        assertThat(ProcFs.isRunning(grandchild)).isTrue();
        assertThat(grandchild).isNotEqualTo(child);
    }

    @Test
    void aFailedSelfForkIsAnExceptionInTheOriginalWhichKeepsRunning() throws Exception {
        Path output = work.resolve("unknown.out");
        long pid = startJavaApp(output, "127.0.0.77", "fork");

        assertThat(awaitLine(output, "failed reason=")).contains("UNKNOWN_NODE");
        assertThat(awaitLine(output, "failed connection")).endsWith("works");
        awaitLine(output, "alive failed 5");
        assertThat(ProcFs.isRunning(pid)).isTrue();
    }

    @Test
    void aFailedSelfMigrateIsAnExceptionInTheOriginalWhichWasResumedAndKeepsRunning() throws Exception {
        // 127.0.0.2 is a known node where nothing listens: the JVM is dumped and held stopped,
        // every upload fails, and after the last attempt the original runs on.
        Path output = work.resolve("silent.out");
        long pid = startJavaApp(output, TestNode.SILENT_NODE, "migrate");

        assertThat(awaitLine(output, "failed reason=")).contains("TARGET_UNREACHABLE");
        assertThat(awaitLine(output, "failed connection")).endsWith("works");
        awaitLine(output, "alive failed 5");
        assertThat(TestProcesses.state(pid)).isNotIn("T", "t", "Z", "");
    }

    @Test
    void aJvmMigratesItselfAndOnlyTheCopyContinues() throws Exception {
        Path output = work.resolve("migrate.out");
        long pid = startJavaApp(output, "127.0.0.1", "migrate");

        ForkIT.awaitGone(pid);
        Path childOutput = childOutputOf(pid);
        String name = childOutput.getFileName().toString();
        Path restored = childOutput.resolveSibling(name.substring(0, name.length() - ".out".length()) + ".restored");
        processes.track(Long.parseLong(Files.readString(restored).trim().split("\\s+")[0]));
        assertThat(awaitLine(childOutput, "child request=")).contains("parentPid=" + pid);
        String alive = awaitLine(childOutput, "alive child 10");
        assertThat(alive).isNotEmpty();
        assertThat(Files.readString(output)).doesNotContain("parent request=");
    }

    @Test
    void aPythonProgramForksItselfOverStompWithTheStandardLibraryOnly() throws Exception {
        Path output = work.resolve("python.out");
        Path script =
                Path.of(System.getProperty("rfork.examples", "../examples")).resolve("python/selffork.py");
        Process process = new ProcessBuilder(
                        "setsid",
                        "python3",
                        script.toString(),
                        "--host",
                        "127.0.0.1",
                        "--port",
                        Integer.toString(node.config().brokerPort()),
                        "--user",
                        node.config().appUser(),
                        "--password",
                        node.config().appPassword(),
                        "--to",
                        "127.0.0.1",
                        "--cafile",
                        TestTls.caPem().toString())
                .redirectOutput(output.toFile())
                .redirectErrorStream(true)
                .start();
        processes.track(process.pid());

        String parentLine = awaitLine(output, "parent ");
        Matcher matcher = Pattern.compile("request=(\\S+) childPid=(\\d+)").matcher(parentLine);
        assertThat(matcher.find()).as(parentLine).isTrue();
        processes.track(Long.parseLong(matcher.group(2)));
        Path childOutput = node.childOutput(UUID.fromString(matcher.group(1)));
        assertThat(awaitLine(childOutput, "child ")).contains("parentPid=" + process.pid());
        awaitLine(childOutput, "alive child 5");
        awaitLine(output, "alive parent 5");
    }

    private long startJavaApp(Path output, String target, String mode) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(
                "setsid",
                java,
                "-cp",
                System.getProperty("java.class.path"),
                SelfForkApp.class.getName(),
                node.brokerUrl(),
                node.config().appUser(),
                node.config().appPassword(),
                target,
                mode));
        Process process = new ProcessBuilder(command)
                .redirectOutput(output.toFile())
                .redirectError(work.resolve("app-" + mode + ".err").toFile())
                .start();
        processes.track(process.pid());
        return process.pid();
    }

    /** The copy's output is the file in the inbox that names this original as its parent. */
    private Path childOutputOf(long parentPid) throws Exception {
        Path inbox = node.config().spool().resolve("inbox");
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            try (var files = Files.list(inbox)) {
                for (Path file :
                        files.filter(f -> f.toString().endsWith(".out")).toList()) {
                    if (Files.readString(file).contains("parentPid=" + parentPid + " ")) {
                        return file;
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no copy of PID " + parentPid + " wrote to " + inbox);
    }

    static String awaitLine(Path file, String prefix) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            if (Files.exists(file)) {
                for (String line : Files.readAllLines(file)) {
                    if (line.startsWith(prefix)) {
                        return line;
                    }
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no line starting with '" + prefix + "' in " + file + ":\n"
                + (Files.exists(file) ? Files.readString(file) : "(missing)"));
    }
}
