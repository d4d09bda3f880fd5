package dev.rfork.worker.intake;

import dev.rfork.worker.criu.ProcFs;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/** The descriptors a process tree has open ({@code /proc/PID/fd/N}), the tree CRIU would dump. */
final class OpenFiles {
    private OpenFiles() {}

    /** Each open descriptor of {@code root} and its descendants; one that ends meanwhile is left out. */
    static List<Path> of(long root) {
        List<Path> descriptors = new ArrayList<>();
        for (long pid : tree(root)) {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
                fds.forEach(descriptors::add);
            } catch (IOException e) {
                // the process ended meanwhile: the dump will say so
            }
        }
        return descriptors;
    }

    /** {@code root} and its descendants, the tree CRIU dumps. */
    static List<Long> tree(long root) {
        List<Long> pids = new ArrayList<>();
        Deque<Long> pending = new ArrayDeque<>(List.of(root));
        while (!pending.isEmpty()) {
            long pid = pending.pop();
            pids.add(pid);
            pending.addAll(ProcFs.children(pid));
        }
        return pids;
    }
}
