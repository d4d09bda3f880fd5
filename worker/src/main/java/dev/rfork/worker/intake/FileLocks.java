package dev.rfork.worker.intake;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The exclusive file locks ({@code flock} or POSIX, held for writing) on files a process tree has
 * open, read from {@code /proc/locks} and the tree's {@code /proc/PID/fd}. CRIU restores them with
 * the copy ({@code --file-locks}): on the same node the copy's restore would wait for the
 * original's lock until the restore times out, so such a fork is refused before anything freezes.
 */
final class FileLocks {
    private FileLocks() {}

    /** A lock another copy on this machine could not take: its kind and the file's device:inode. */
    record Lock(String kind, String file, long holder) {
        @Override
        public String toString() {
            return kind + " on " + file + " (PID " + holder + ")";
        }
    }

    /** Write locks on the files the tree of {@code pid} holds open; empty when there are none or they cannot be read. */
    static List<Lock> exclusiveOn(long pid) {
        Set<String> open = openFiles(pid);
        List<Lock> held = new ArrayList<>();
        if (open.isEmpty()) {
            return held;
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
                // "1: FLOCK  ADVISORY  WRITE 1234 08:01:123456 0 EOF" (a "->" marks a waiter)
                String[] fields = line.trim().split("\\s+");
                if (fields.length < 6 || fields[1].equals("->") || !fields[3].equals("WRITE")) {
                    continue;
                }
                String file = deviceAndInode(fields[5]);
                if (file != null && open.contains(file)) {
                    held.add(new Lock(fields[1], fields[5], Long.parseLong(fields[4])));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return List.of(); // no /proc/locks: CRIU would meet the same lock, as before
        }
        return held;
    }

    /** {@code maj:min:inode} (major and minor in hex) as {@code major:minor:inode} in decimal. */
    private static String deviceAndInode(String field) {
        String[] parts = field.split(":");
        if (parts.length != 3) {
            return null;
        }
        try {
            return Long.parseLong(parts[0], 16) + ":" + Long.parseLong(parts[1], 16) + ":" + Long.parseLong(parts[2]);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The device:inode of every file the tree has open (as {@link #deviceAndInode} writes them). */
    private static Set<String> openFiles(long root) {
        Set<String> files = new LinkedHashSet<>();
        for (Path fd : OpenFiles.of(root)) {
            try {
                long dev = (Long) Files.getAttribute(fd, "unix:dev");
                long inode = (Long) Files.getAttribute(fd, "unix:ino");
                files.add(major(dev) + ":" + minor(dev) + ":" + inode);
            } catch (IOException | RuntimeException e) {
                // closed meanwhile, or not a file: nothing to lock
            }
        }
        return files;
    }

    /** glibc's gnu_dev_major / gnu_dev_minor. */
    private static long major(long dev) {
        return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
    }

    private static long minor(long dev) {
        return (dev & 0xff) | ((dev >>> 12) & 0xffffff00L);
    }
}
