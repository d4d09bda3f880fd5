package dev.rfork.worker.criu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@code criu dump} and ends it once it can no longer finish well: past a deadline that
 * grows with the memory it has to write; a few seconds after the process it dumps is gone (CRIU
 * was seen waiting on a futex for minutes when someone killed its target under it, and every
 * request behind it waited too); or some seconds after the worker was asked to stop, so that no
 * CRIU outlives a graceful stop.
 */
final class DumpWatchdog {
    private static final Logger LOG = LoggerFactory.getLogger(DumpWatchdog.class);
    /** CRIU's own work: seizing, parasite, files, sockets. Seconds here, a minute leaves room. */
    private static final Duration BASE = Duration.ofSeconds(60);
    /** Ten times slower than this machine kind writes fresh pages (0.3 GB/s): never the limit of a sane dump. */
    private static final long BYTES_PER_SECOND = 30L << 20;

    private static final Duration GONE_GRACE = Duration.ofSeconds(5);
    private static final Duration STOP_GRACE = Duration.ofSeconds(15);
    private static final long POLL_MILLIS = 100;

    private volatile long stopRequestedAt = -1;

    /** The longest a dump of this much resident memory may take. */
    static Duration deadlineFor(long residentBytes) {
        return BASE.plusSeconds(Math.max(0, residentBytes) / BYTES_PER_SECOND);
    }

    /** Asks the dump in progress, if any, to end within {@link #STOP_GRACE}. */
    void stop() {
        stopRequestedAt = System.nanoTime();
    }

    boolean stopping() {
        return stopRequestedAt > 0;
    }

    /** Runs the dump of {@code pid}; a dump that had to be ended returns exit status -1 and why. */
    CommandResult run(List<String> command, long pid, Duration deadline, int tailLines) {
        Path output = null;
        try {
            output = Files.createTempFile("rfork-criu", ".out");
            Process criu = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(
                            ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            String verdict = watch(criu, pid, deadline);
            if (verdict != null) {
                LOG.warn("ended criu dump of PID {} (criu PID {}): {}", pid, criu.pid(), verdict);
                // CRIU may run below what was started (nsenter forks it into a copy's namespaces).
                criu.descendants().forEach(ProcessHandle::destroyForcibly);
                criu.destroyForcibly().waitFor();
                return CommandResult.of(-1, verdict + "\n" + read(output), tailLines);
            }
            return CommandResult.of(criu.exitValue(), read(output), tailLines);
        } catch (IOException e) {
            return CommandResult.of(
                    127,
                    "cannot run " + command.get(0) + ": " + e.getMessage()
                            + " (install CRIU with scripts/install-criu.sh)",
                    tailLines);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CommandResult.of(-1, "interrupted", tailLines);
        } finally {
            if (output != null) {
                output.toFile().delete();
            }
        }
    }

    /** Null when CRIU ended by itself; otherwise why it must be ended. */
    private String watch(Process criu, long pid, Duration deadline) throws InterruptedException {
        long start = System.nanoTime();
        long goneSince = -1;
        while (!criu.waitFor(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            long now = System.nanoTime();
            if (now - start > deadline.toNanos()) {
                return "criu dump did not finish within " + deadline.toSeconds() + " s (deadline for this "
                        + "process's memory)";
            }
            if (ProcFs.isRunning(pid)) {
                goneSince = -1;
            } else if (goneSince < 0) {
                goneSince = now;
            } else if (now - goneSince > GONE_GRACE.toNanos()) {
                return "PID " + pid + " ended during its dump and criu did not finish within " + GONE_GRACE.toSeconds()
                        + " s after it";
            }
            long stopAt = stopRequestedAt;
            if (stopAt > 0 && now - stopAt > STOP_GRACE.toNanos()) {
                return "the worker is stopping and criu dump did not finish within " + STOP_GRACE.toSeconds() + " s";
            }
        }
        return null;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(cannot read criu's output: " + e.getMessage() + ")";
        }
    }
}
