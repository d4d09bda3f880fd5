package dev.rfork.worker.intake;

import dev.rfork.worker.metrics.NodeFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The regular files a process tree holds, as CRIU will look for them on the target: those open
 * on a descriptor (but the standard streams, which the copy gets anew) and those mapped (the
 * executable, its libraries), each with its size. Deleted files travel in the images instead.
 */
final class HeldFiles {
    private static final String DELETED = " (deleted)";
    /** A JVM's perf-data file travels in the images (PerfData): the target need not have it. */
    private static final String PERF_DATA = "/tmp/hsperfdata_";

    private HeldFiles() {}

    static List<NodeFiles.Held> of(long root) {
        Map<String, NodeFiles.Held> files = new LinkedHashMap<>();
        for (Path fd : OpenFiles.of(root)) {
            if (List.of("0", "1", "2").contains(fd.getFileName().toString())) {
                continue; // the copy's standard streams are its own on the target (Stdio)
            }
            try {
                add(
                        files,
                        fd.getParent().getParent(),
                        Files.readSymbolicLink(fd).toString());
            } catch (IOException | RuntimeException e) {
                // closed meanwhile
            }
        }
        for (long pid : OpenFiles.tree(root)) {
            Path proc = Path.of("/proc", Long.toString(pid));
            try {
                for (String line : Files.readAllLines(proc.resolve("maps"))) {
                    int slash = line.indexOf('/');
                    if (slash > 0) {
                        add(files, proc, line.substring(slash));
                    }
                }
            } catch (IOException e) {
                // the process ended meanwhile: the dump will say so
            }
        }
        return List.copyOf(files.values());
    }

    /** A regular file by its path in the process's own root (a copy's mount namespace too). */
    private static void add(Map<String, NodeFiles.Held> files, Path proc, String path) {
        if (!path.startsWith("/") || path.endsWith(DELETED) || path.startsWith(PERF_DATA) || files.containsKey(path)) {
            return;
        }
        Path seen = proc.resolve("root").resolve(path.substring(1));
        try {
            if (Files.isRegularFile(seen)) {
                files.put(path, new NodeFiles.Held(path, Files.size(seen)));
            }
        } catch (IOException | RuntimeException e) {
            // gone meanwhile
        }
    }
}
