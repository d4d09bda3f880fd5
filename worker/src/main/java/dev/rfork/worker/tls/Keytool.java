package dev.rfork.worker.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The JDK's own {@code keytool}, run as a process: it makes keys, certificate requests and
 * certificates, so rfork carries no crypto of its own. Passwords travel in the environment
 * ({@code -storepass:env}), never on a command line another user could read in /proc.
 */
final class Keytool {
    /** A keytool run is a short JVM: no JIT beyond C1, the smallest GC, no perf-data file. */
    private static final List<String> JVM =
            List.of("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-XX:-UsePerfData");

    private static final long TIMEOUT_SECONDS = 60;

    private final Path dir;
    private final Map<String, String> passwords;

    /** @param passwords environment variable to password, for {@code -storepass:env NAME} */
    Keytool(Path dir, Map<String, String> passwords) {
        this.dir = dir;
        this.passwords = Map.copyOf(passwords);
    }

    static Path command() {
        return Path.of(System.getProperty("java.home"), "bin", "keytool");
    }

    /** Runs {@code keytool ARGS} in the working directory; throws with keytool's own words on failure. */
    Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(command().toString());
        command.addAll(JVM);
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().putAll(passwords);
        return builder.start();
    }

    void run(String... args) throws IOException {
        await(start(args), args[0]);
    }

    static void await(Process process, String what) throws IOException {
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("keytool " + what + " did not finish within " + TIMEOUT_SECONDS + " s");
            }
            if (process.exitValue() != 0) {
                throw new IOException(
                        "keytool " + what + " failed (exit status " + process.exitValue() + "): " + output.strip());
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while keytool " + what + " ran", e);
        }
    }
}
