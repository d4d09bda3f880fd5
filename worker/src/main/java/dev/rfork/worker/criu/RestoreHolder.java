package dev.rfork.worker.criu;

import dev.rfork.message.MessageException;
import dev.rfork.message.Reason;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What holds a restore: {@code setsid unshare} (a fresh PID and mount namespace), in it a shell
 * that opens the copy's standard streams and becomes {@code criu restore}, CRIU the namespace's
 * init and the copy's parent. How it is started, how the copy is found below it, and how a
 * worker finds it again in /proc after a crash.
 */
final class RestoreHolder {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreHolder.class);

    private RestoreHolder() {}

    static List<String> command(
            List<String> criu, Path imageDir, Path logFile, Path pidFile, Stdio stdio, Path childOutput) {
        // A fresh PID namespace lets the copy keep its PID while the original still has it.
        // CRIU is its PID 1 and, not detached, stays the copy's parent as long as it runs;
        // --kill-child: if we must give up on a restore, nothing half-restored survives.
        List<String> command = new ArrayList<>(List.of("unshare", "--pid", "--fork", "--kill-child", "--mount-proc"));
        command.addAll(criu);
        command.addAll(List.of(
                "restore",
                "--images-dir",
                imageDir.toString(),
                "--log-file",
                logFile.toString(),
                "-v2",
                "--shell-job",
                "--tcp-close",
                "--file-locks",
                "--ext-unix-sk",
                // Written when the restore is complete: our signal that the copy runs.
                "--pidfile",
                pidFile.toString()));
        // Stdout/stderr files would fail CRIU's size check once the original wrote more:
        // the copy writes to criu's own stdout instead, which is childOutput.
        if (stdio.stdoutKey() != null) {
            command.addAll(List.of("--inherit-fd", "fd[1]:" + stdio.stdoutKey()));
        }
        if (stdio.stderrKey() != null && !stdio.stderrKey().equals(stdio.stdoutKey())) {
            command.addAll(List.of("--inherit-fd", "fd[2]:" + stdio.stderrKey()));
        }
        if (stdio.terminal()) {
            // A copy of a terminal program needs a terminal: script gives it a pty and logs it.
            return List.of(
                    "setsid",
                    "script",
                    "--quiet",
                    "--flush",
                    "--return",
                    "--command",
                    shellQuote(command),
                    childOutput.toString());
        }
        // The copy inherits CRIU's standard streams: opened inside the copy's mount namespace
        // (by a shell that then becomes CRIU), not by the worker outside it. CRIU can then dump the
        // copy again from inside (re-fork): it finds the mount of each file the copy holds open.
        // Not for append: a copy of this copy then gets an output file of its own (Stdio).
        int criuAt = command.indexOf("--mount-proc") + 1;
        command.addAll(
                criuAt,
                List.of(
                        "sh",
                        "-c",
                        "out=\"$1\"; shift; exec \"$@\" </dev/null >\"$out\" 2>&1",
                        "rfork-restore",
                        childOutput.toString()));
        // Own session: a Ctrl-C or hang-up aimed at the worker never reaches the copy.
        command.add(0, "setsid");
        return command;
    }

    static Process start(List<String> command, Stdio stdio, Path childOutput) {
        LOG.debug("running {}", String.join(" ", command));
        try {
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectInput(
                            ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            if (stdio.terminal()) {
                builder.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectErrorStream(true);
            } else {
                builder.redirectOutput(ProcessBuilder.Redirect.appendTo(childOutput.toFile()))
                        .redirectErrorStream(true);
            }
            return builder.start();
        } catch (IOException e) {
            throw new MessageException(
                    Reason.CRIU_RESTORE_FAILED,
                    "cannot start criu restore: " + e.getMessage(),
                    Map.of("command", String.join(" ", command)),
                    e);
        }
    }

    /** The copy is the child of the namespace's init (CRIU), somewhere below the holder. */
    static long findCopy(long holderPid, long deadline) {
        while (System.nanoTime() < deadline && ProcFs.isRunning(holderPid)) {
            List<Long> pending = new ArrayList<>(List.of(holderPid));
            while (!pending.isEmpty()) {
                long pid = pending.remove(0);
                List<Long> children = ProcFs.children(pid);
                if (isNamespaceInit(pid) && !children.isEmpty()) {
                    return children.get(0);
                }
                pending.addAll(children);
            }
            CriuProcess.sleep(2);
        }
        throw new MessageException(
                Reason.CRIU_RESTORE_FAILED,
                "criu restore reported success but the copy's process was not found",
                Map.of("holderPid", Long.toString(holderPid)),
                null);
    }

    private static String shellQuote(List<String> words) {
        return words.stream()
                .map(word -> "'" + word.replace("'", "'\\''") + "'")
                .collect(Collectors.joining(" "));
    }

    /**
     * What {@link #start} started for {@code imageDir} and still runs: the holder ({@code unshare})
     * and CRIU, by their command lines naming the directory, run by this worker's user. Found in
     * /proc rather than in a record: a worker may die between starting them and writing that down.
     */
    static List<Long> running(Path imageDir) {
        OptionalLong self = ProcFs.uid(ProcessHandle.current().pid());
        List<Long> found = new ArrayList<>();
        for (long pid : ProcFs.pids()) {
            List<String> args = ProcFs.commandLine(pid);
            int dir = args.indexOf("--images-dir") + 1;
            if (dir > 0
                    && dir < args.size()
                    && args.get(dir).equals(imageDir.toString())
                    && args.contains("restore")
                    && ProcFs.uid(pid).equals(self)
                    && ProcFs.isRunning(pid)) {
                found.add(pid);
            }
        }
        return found;
    }

    /** PID 1 of a PID namespace of its own: in what restore() starts, CRIU, the copy's parent. */
    static boolean isNamespaceInit(long pid) {
        List<Long> namespaced = ProcFs.namespacePids(pid);
        return namespaced.size() > 1 && namespaced.get(namespaced.size() - 1) == 1;
    }
}
