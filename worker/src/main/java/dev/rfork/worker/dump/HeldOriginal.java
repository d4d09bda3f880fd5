package dev.rfork.worker.dump;

import dev.rfork.worker.criu.ProcFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The original of a migrate, held stopped by CRIU while its copy is made. A marker file in the
 * spool names its processes (first line) and, once the restore request is on its way, the
 * target (second line), so a worker that restarts resumes it and can say what became of the
 * request: a process is never lost.
 */
public final class HeldOriginal {
    private static final Logger LOG = LoggerFactory.getLogger(HeldOriginal.class);

    private static final String HANDED_OFF = "handed-off ";
    /** A dump of a worker that died goes on without it; as long as CRIU may take itself. */
    private static final Duration TRACED_WAIT = Duration.ofMinutes(10);

    private final Path marker;
    private final List<Long> pids;
    private final String handedOffTo;
    private boolean settled;

    private HeldOriginal(Path marker, List<Long> pids, String handedOffTo) {
        this.marker = marker;
        this.pids = List.copyOf(pids);
        this.handedOffTo = handedOffTo;
    }

    /** Writes the marker before the dump, naming the whole tree rooted at {@code pid}. */
    public static HeldOriginal mark(Path marker, long pid) throws IOException {
        List<Long> tree = tree(pid);
        Files.writeString(
                marker, String.join(" ", tree.stream().map(String::valueOf).toList()) + "\n");
        return new HeldOriginal(marker, tree, null);
    }

    public static HeldOriginal read(Path marker) throws IOException {
        List<String> lines = Files.readAllLines(marker);
        String first = lines.isEmpty() ? "" : lines.get(0).trim();
        List<Long> pids = first.isEmpty()
                ? List.of()
                : Arrays.stream(first.split("\\s+")).map(Long::valueOf).toList();
        String target = lines.size() > 1 && lines.get(1).startsWith(HANDED_OFF)
                ? lines.get(1).substring(HANDED_OFF.length()).trim()
                : null;
        return new HeldOriginal(marker, pids, target);
    }

    /**
     * Records that the restore request to {@code target} is sent and the fork request acknowledged:
     * from now on a restarted worker cannot expect the request again, and a copy may run there.
     */
    public synchronized void handedOff(String target) {
        if (settled) {
            return;
        }
        try {
            Files.writeString(marker, HANDED_OFF + target + "\n", StandardOpenOption.APPEND);
        } catch (IOException e) {
            LOG.warn("cannot note the hand-off in {}: {}", marker, e.getMessage());
        }
    }

    /** The target of the restore request when it was sent before the marker was read; else empty. */
    public Optional<String> handedOffTo() {
        return Optional.ofNullable(handedOffTo);
    }

    /** Lets the original run again (SIGCONT to every process of the tree). */
    public synchronized void resume() {
        if (!settled) {
            signal("CONT");
            forget();
        }
    }

    /**
     * {@link #resume()} for a worker that starts after a crash: a CRIU of the dead worker may
     * still be dumping the original, and would stop it again when done; wait for it first.
     */
    public synchronized void resumeAfterCrash() {
        long deadline = System.nanoTime() + TRACED_WAIT.toNanos();
        if (pids.stream().anyMatch(ProcFs::dumpedByCriu)) {
            LOG.info("the original {} is still being dumped by a CRIU of the previous worker; waiting", pids);
        }
        while (pids.stream().anyMatch(ProcFs::dumpedByCriu) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        resume();
    }

    /** Ends the original once its copy runs (SIGKILL: it is stopped and has nothing to flush). */
    public synchronized void end() {
        if (!settled) {
            signal("KILL");
            forget();
        }
    }

    public List<Long> pids() {
        return pids;
    }

    private void signal(String signal) {
        List<String> command = new ArrayList<>(List.of("kill", "-" + signal));
        pids.stream().filter(ProcFs::exists).map(String::valueOf).forEach(command::add);
        if (command.size() == 2) {
            return;
        }
        try {
            int status = new ProcessBuilder(command).inheritIO().start().waitFor();
            if (status != 0) {
                LOG.warn("{} exited {}", command, status);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run kill: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while signalling " + pids, e);
        }
    }

    private void forget() {
        settled = true;
        try {
            Files.deleteIfExists(marker);
        } catch (IOException e) {
            LOG.warn("cannot delete {}: {}", marker, e.getMessage());
        }
    }

    private static List<Long> tree(long root) {
        List<Long> all = new ArrayList<>();
        List<Long> pending = new ArrayList<>(List.of(root));
        while (!pending.isEmpty() && all.size() < 10_000) {
            long pid = pending.remove(0);
            all.add(pid);
            pending.addAll(ProcFs.children(pid));
        }
        return all;
    }
}
