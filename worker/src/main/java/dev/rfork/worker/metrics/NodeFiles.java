package dev.rfork.worker.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a peer asks this node at {@code POST /files} before it dumps a process for a copy here:
 * whether each regular file the process holds open exists here with the same size (CRIU restores
 * the copy's open files by path and refuses one of another size). Only existence and size are
 * told, to the admin only; a path that is not absolute and normal is answered as missing.
 */
public final class NodeFiles {
    public static final String PATH = "/files";
    /** A question about more files than this is refused (HTTP 413). */
    public static final int MAX_FILES = 10_000;

    private NodeFiles() {}

    /** A file as the source sees it. */
    public record Held(String path, long size) {}

    /** What differs here: files missing, and files of another size (with the size here). */
    public record Answer(List<String> missing, List<Differs> differ) {
        public boolean matches() {
            return missing.isEmpty() && differ.isEmpty();
        }
    }

    public record Differs(String path, long size, long here) {}

    public record Question(List<Held> files) {}

    public static Answer check(List<Held> files) {
        List<String> missing = new ArrayList<>();
        List<Differs> differ = new ArrayList<>();
        for (Held file : files) {
            Path path = file.path() == null ? null : Path.of(file.path());
            if (path == null || !path.isAbsolute() || !path.normalize().equals(path) || !Files.isRegularFile(path)) {
                missing.add(String.valueOf(file.path()));
                continue;
            }
            try {
                long here = Files.size(path);
                if (here != file.size()) {
                    differ.add(new Differs(file.path(), file.size(), here));
                }
            } catch (IOException e) {
                missing.add(file.path());
            }
        }
        return new Answer(List.copyOf(missing), List.copyOf(differ));
    }
}
