package dev.rfork.worker.criu;

import dev.rfork.message.MessageException;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link Criu} by running the criu binary. Every flag is chosen here, with the reason. */
public final class CriuProcess implements Criu {
    private static final Logger LOG = LoggerFactory.getLogger(CriuProcess.class);
    private static final int LOG_TAIL_LINES = 15;
    /** CRIU writes its restore statistics into the images' directory, whatever the options. */
    static final String RESTORE_STATS = "stats-restore";

    /** CRIU's own default for {@code --ghost-limit}. */
    public static final long DEFAULT_GHOST_LIMIT = 1 << 20;

    private final List<String> criu;
    private final long ghostLimit;
    private final DumpWatchdog watchdog = new DumpWatchdog();

    /** @param criu the command that runs criu, e.g. {@code [rfork-criu]} or {@code [/usr/sbin/criu]} */
    public CriuProcess(List<String> criu) {
        this(criu, DEFAULT_GHOST_LIMIT);
    }

    /** @param ghostLimit the largest deleted-but-open file a dump carries in its images, in bytes */
    public CriuProcess(List<String> criu, long ghostLimit) {
        this.criu = List.copyOf(criu);
        this.ghostLimit = ghostLimit;
    }

    @Override
    public DumpResult dump(long pid, Mode mode, Path imageDir, Path logFile) {
        List<String> command = new ArrayList<>();
        // A copy restored here lives in a PID namespace of its own (CRIU is its init there):
        // CRIU dumps it from inside that namespace and its mount namespace, by its PID there. The
        // result restores into a fresh namespace like any dump, so a copy can be forked again.
        List<Long> namespaced = ProcFs.namespacePids(pid);
        long treePid = pid;
        if (namespaced.size() > 1) {
            treePid = namespaced.get(namespaced.size() - 1);
            command.addAll(List.of("nsenter", "--target", Long.toString(pid), "--pid", "--mount", "--"));
        }
        command.addAll(criu);
        command.addAll(List.of(
                "dump",
                "--tree",
                Long.toString(treePid),
                "--images-dir",
                imageDir.toString(),
                "--log-file",
                logFile.toString(),
                "-v2"));
        // Fork keeps the original running; migrate keeps it stopped until the copy runs or fails.
        command.add(mode == Mode.FORK ? "--leave-running" : "--leave-stopped");
        // Processes started from a shell share the shell's session and process group.
        command.add("--shell-job");
        // Established TCP connections cannot continue in a copy at another PID namespace or address;
        // they are restored closed, so the copy sees an error on them and can reconnect.
        command.add("--tcp-close");
        // Keep and restore POSIX/flock locks instead of refusing processes holding them.
        command.add("--file-locks");
        // Unix sockets whose peer is outside the tree (e.g. journald, a terminal multiplexer).
        command.add("--ext-unix-sk");
        // CRIU's own numbers (freeze time, pages written) go into the events.
        command.add("--display-stats");
        // A file deleted while open travels in the images, up to this size (setting criu.ghost-limit).
        command.addAll(List.of("--ghost-limit", Long.toString(ghostLimit)));
        try {
            Stdio.inspect(pid).write(imageDir);
            PerfData.save(pid, imageDir);
        } catch (IOException e) {
            throw new MessageException(
                    Reason.CRIU_DUMP_FAILED,
                    "cannot record the standard streams or JVM perf data " + "of PID " + pid,
                    Map.of("error", String.valueOf(e.getMessage())),
                    e);
        }
        Duration deadline = DumpWatchdog.deadlineFor(ProcFs.treeResidentBytes(pid));
        awaitOtherDump(pid, deadline);
        boolean stoppedBefore = ProcFs.state(pid).equals("T");
        long start = System.nanoTime();
        CommandResult result = watchdog.run(command, pid, deadline, LOG_TAIL_LINES);
        long elapsed = (System.nanoTime() - start) / 1_000_000;
        if (result.exitStatus() == -1
                && mode == Mode.FORK
                && !stoppedBefore
                && ProcFs.state(pid).equals("T")) {
            // An ended CRIU may leave its target stopped; a fork's original must run on.
            continueQuietly(pid);
        }
        if (result.exitStatus() != 0) {
            throw failure(Reason.CRIU_DUMP_FAILED, "criu dump of PID " + pid + " failed", result, logFile);
        }
        return DumpStats.parse(result.output(), elapsed);
    }

    /**
     * Another CRIU still dumping the process holds it (the one a killed worker left running goes
     * on without it): this dump could not seize it and would fail at once. Wait for that one to
     * end, as long as a dump of this process may take, or until the worker stops.
     */
    private void awaitOtherDump(long pid, Duration deadline) {
        if (!ProcFs.dumpedByCriu(pid)) {
            return;
        }
        LOG.info(
                "PID {} is being dumped by another criu (left by a worker that died?); waiting up to {} s for it",
                pid,
                deadline.toSeconds());
        long end = System.nanoTime() + deadline.toNanos();
        while (ProcFs.dumpedByCriu(pid) && System.nanoTime() < end && !watchdog.stopping()) {
            sleep(100);
        }
    }

    @Override
    public RestoredProcess restore(Path imageDir, Path logFile, Path pidFile, Path childOutput, Duration timeout) {
        Stdio stdio;
        try {
            Files.deleteIfExists(pidFile);
            stdio = Stdio.read(imageDir);
            PerfData.restore(imageDir);
        } catch (IOException | RuntimeException e) {
            throw new MessageException(
                    Reason.CRIU_RESTORE_FAILED,
                    "cannot prepare the restore: " + e.getMessage(),
                    Map.of("imageDir", imageDir.toString()),
                    e);
        }
        List<String> command = RestoreHolder.command(criu, imageDir, logFile, pidFile, stdio, childOutput);
        long start = System.nanoTime();
        Process holder = RestoreHolder.start(command, stdio, childOutput);
        long deadline = System.nanoTime() + timeout.toNanos();
        // The pid file stays until the caller has recorded the copy: a worker restarted before
        // that finds the restore by it (adopt).
        while (System.nanoTime() < deadline) {
            if (Files.exists(pidFile)) {
                long hostPid = RestoreHolder.findCopy(holder.pid(), deadline);
                return new RestoredProcess(hostPid, holder.pid(), (System.nanoTime() - start) / 1_000_000);
            }
            if (!holder.isAlive()) {
                throw failure(
                        Reason.CRIU_RESTORE_FAILED,
                        "criu restore failed",
                        CommandResult.of(holder.exitValue(), readQuietly(childOutput), LOG_TAIL_LINES),
                        logFile);
            }
            sleep(5);
        }
        holder.destroyForcibly();
        throw failure(
                Reason.CRIU_RESTORE_FAILED,
                "criu restore did not finish within " + timeout,
                CommandResult.of(-1, "", LOG_TAIL_LINES),
                logFile);
    }

    @Override
    public Optional<RestoredProcess> adopt(Path imageDir, Path pidFile, Duration timeout) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<Long> restoring = RestoreHolder.running(imageDir);
            if (restoring.isEmpty()) {
                if (Files.exists(pidFile)) {
                    throw new MessageException(
                            Reason.CRIU_RESTORE_FAILED,
                            "the copy restored while an earlier " + "worker ran has ended since",
                            Map.of("imageDir", imageDir.toString()),
                            null);
                }
                return Optional.empty();
            }
            Optional<Long> criuPid =
                    restoring.stream().filter(RestoreHolder::isNamespaceInit).findFirst();
            if (criuPid.isPresent() && Files.exists(pidFile)) {
                long copy = RestoreHolder.findCopy(criuPid.get(), deadline);
                return Optional.of(new RestoredProcess(
                        copy,
                        ProcFs.parentPid(criuPid.get()).orElse(criuPid.get()),
                        (System.nanoTime() - start) / 1_000_000));
            }
            sleep(5);
        }
        // As restore() does: a restore that does not end in time is ended, with its namespace.
        RestoreHolder.running(imageDir).forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
        throw new MessageException(
                Reason.CRIU_RESTORE_FAILED,
                "criu restore (started by an earlier worker) did not " + "finish within " + timeout,
                Map.of("imageDir", imageDir.toString()),
                null);
    }

    @Override
    public void discardRestore(Path imageDir, Path pidFile) {
        try {
            Files.deleteIfExists(imageDir.resolve(RESTORE_STATS));
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove what an earlier restore of " + imageDir + " left", e);
        }
    }

    @Override
    public void stop() {
        watchdog.stop();
    }

    /** {@code criu check}: the kernel has what CRIU needs. Its last line, or throws with its output. */
    public String check() {
        List<String> command = new ArrayList<>(criu);
        command.add("check");
        CommandResult result = run(command, Duration.ofSeconds(60));
        if (result.exitStatus() != 0) {
            throw new IllegalStateException("criu check exited " + result.exitStatus() + ": " + result.tailText());
        }
        return result.tail().isEmpty()
                ? ""
                : result.tail().get(result.tail().size() - 1).trim();
    }

    @Override
    public String version() {
        List<String> command = new ArrayList<>(criu);
        command.add("--version");
        CommandResult result = run(command, Duration.ofSeconds(20));
        if (result.exitStatus() != 0) {
            throw new IllegalStateException("criu --version exited " + result.exitStatus() + ": " + result.tailText());
        }
        return result.output().lines().findFirst().orElse("criu").trim();
    }

    /**
     * Runs criu and judges it by exit status (every run here prints a harmless rlimit "Error").
     * Output goes through a file, so a CRIU that hangs cannot hold the worker past the timeout.
     */
    static CommandResult run(List<String> command, Duration timeout) {
        LOG.debug("running {}", String.join(" ", command));
        Path output = null;
        try {
            output = Files.createTempFile("rfork-criu", ".out");
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(output.toFile())
                    .redirectInput(
                            ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                return CommandResult.of(-1, "timed out after " + timeout + "\n" + readQuietly(output), LOG_TAIL_LINES);
            }
            return CommandResult.of(process.exitValue(), readQuietly(output), LOG_TAIL_LINES);
        } catch (IOException e) {
            return CommandResult.of(
                    127,
                    "cannot run " + command.get(0) + ": " + e.getMessage()
                            + " (install CRIU with scripts/install-criu.sh)",
                    LOG_TAIL_LINES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CommandResult.of(-1, "interrupted", LOG_TAIL_LINES);
        } finally {
            if (output != null) {
                output.toFile().delete();
            }
        }
    }

    private static void continueQuietly(long pid) {
        try {
            new ProcessBuilder("kill", "-CONT", Long.toString(pid))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start()
                    .waitFor();
        } catch (IOException e) {
            LOG.error("PID {} may be left stopped: cannot run kill -CONT: {}", pid, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static MessageException failure(Reason reason, String what, CommandResult result, Path logFile) {
        Map<String, String> evidence = new LinkedHashMap<>();
        evidence.put("exitStatus", Integer.toString(result.exitStatus()));
        evidence.put("output", result.tailText());
        // The tail only: the log itself is deleted with the rest of a failed request.
        if (logFile != null) {
            evidence.put("logTail", errorTail(readQuietly(logFile)));
        }
        return new MessageException(reason, what + " (exit status " + result.exitStatus() + ")", evidence, null);
    }

    /** The log's last lines, with CRIU's harmless rlimit complaint left out. */
    private static String errorTail(String log) {
        List<String> lines =
                log.lines().filter(line -> !line.contains("RLIMIT_NOFILE")).toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    }

    private static String readQuietly(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
