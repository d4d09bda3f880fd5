package dev.rfork.worker.dump;

import dev.rfork.worker.criu.ProcFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The original of a migrate, held stopped by CRIU while its copy is made. A marker file in the
 * spool names its processes, so a worker that restarts resumes it: a process is never lost.
 */
public final class HeldOriginal {
    private static final Logger LOG = LoggerFactory.getLogger(HeldOriginal.class);

    private final Path marker;
    private final List<Long> pids;
    private boolean settled;

    private HeldOriginal(Path marker, List<Long> pids) {
        this.marker = marker;
        this.pids = List.copyOf(pids);
    }

    /** Writes the marker before the dump, naming the whole tree rooted at {@code pid}. */
    public static HeldOriginal mark(Path marker, long pid) throws IOException {
        List<Long> tree = tree(pid);
        Files.writeString(marker, String.join(" ", tree.stream().map(String::valueOf).toList()));
        return new HeldOriginal(marker, tree);
    }

    public static HeldOriginal read(Path marker) throws IOException {
        String text = Files.readString(marker).trim();
        List<Long> pids = text.isEmpty() ? List.of() : java.util.Arrays.stream(text.split("\\s+")).map(Long::valueOf).toList();
        return new HeldOriginal(marker, pids);
    }

    /** Lets the original run again (SIGCONT to every process of the tree). */
    public synchronized void resume() {
        if (!settled) {
            signal("CONT");
            forget();
        }
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
