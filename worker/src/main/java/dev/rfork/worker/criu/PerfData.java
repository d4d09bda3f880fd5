package dev.rfork.worker.criu;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A JVM started with default flags maps its perf-data file {@code /tmp/hsperfdata_<user>/<pid>},
 * and CRIU restores the mapping only if that file exists at the same path. On the same node
 * the original's file is there; on another node it is not, so the dump carries a copy of it
 * ({@value #FILE_NAME}, verified with the images) and the restore puts it back when missing.
 * Only paths of exactly that shape are ever written, never one that exists.
 */
final class PerfData {
    static final String FILE_NAME = "rfork-hsperfdata";
    private static final Path TMP = Path.of("/tmp");
    private static final Pattern DIRECTORY = Pattern.compile("hsperfdata_[A-Za-z0-9._-]{1,64}");

    private PerfData() {}

    /** Copies the process's perf-data file, if it has one, into the images. */
    static void save(long pid, Path imageDir) throws IOException {
        Optional<Path> file = find(pid);
        if (file.isPresent()) {
            Files.copy(file.get(), imageDir.resolve(FILE_NAME), StandardCopyOption.REPLACE_EXISTING);
            // CRIU checks the mode too (the JVM makes it 0600); the upload would not keep it.
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(file.get()));
            Files.writeString(imageDir.resolve(FILE_NAME + ".path"), file.get() + "\n" + mode + "\n");
        }
    }

    /** Puts the perf-data file back at its path when nothing is there (another node). */
    static void restore(Path imageDir) throws IOException {
        Path copy = imageDir.resolve(FILE_NAME);
        Path recorded = imageDir.resolve(FILE_NAME + ".path");
        if (!Files.isRegularFile(copy) || !Files.isRegularFile(recorded)) {
            return;
        }
        String[] lines = Files.readString(recorded).trim().split("\n");
        Path target = Path.of(lines[0].trim());
        Set<PosixFilePermission> mode =
                PosixFilePermissions.fromString(lines.length > 1 ? lines[1].trim() : "rw-------");
        if (!isPerfDataPath(target)) {
            throw new IOException("refusing to write " + target + ": not a JVM perf-data path");
        }
        if (Files.exists(target)) {
            return;
        }
        Files.createDirectories(target.getParent());
        Files.copy(copy, target);
        Files.setPosixFilePermissions(target, mode);
    }

    static boolean isPerfDataPath(Path path) {
        return path.isAbsolute()
                && path.normalize().equals(path)
                && path.getNameCount() == 3
                && path.getParent().getParent().equals(TMP)
                && DIRECTORY.matcher(path.getParent().getFileName().toString()).matches()
                && path.getFileName().toString().matches("[0-9]{1,10}");
    }

    private static Optional<Path> find(long pid) throws IOException {
        if (!Files.isDirectory(TMP)) {
            return Optional.empty();
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(TMP, "hsperfdata_*")) {
            for (Path dir : dirs) {
                Path file = dir.resolve(Long.toString(pid));
                if (Files.isRegularFile(file) && isPerfDataPath(file)) {
                    return Optional.of(file);
                }
            }
        }
        return Optional.empty();
    }
}
