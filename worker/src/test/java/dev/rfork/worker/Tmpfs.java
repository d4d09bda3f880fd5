package dev.rfork.worker;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small tmpfs mounted over a directory for a test, so it runs out of space. Needs root; a test
 * that cannot mount fails, it is not skipped.
 */
final class Tmpfs implements AutoCloseable {
    private final Path dir;

    private Tmpfs(Path dir) {
        this.dir = dir;
    }

    /** Mounts {@code size} (as mount takes it: {@code 16m}) over {@code dir}, created owner-only. */
    static Tmpfs mount(Path dir, String size) throws Exception {
        Files.createDirectories(dir);
        run("mount", "-t", "tmpfs", "-o", "size=" + size + ",mode=700", "tmpfs", dir.toString());
        return new Tmpfs(dir);
    }

    Path dir() {
        return dir;
    }

    /** Copies still holding their output open on the tmpfs keep it busy a moment after they are killed. */
    @Override
    public void close() throws Exception {
        for (int attempt = 0; attempt < 50; attempt++) {
            if (new ProcessBuilder("umount", dir.toString()).inheritIO().start().waitFor() == 0) {
                return;
            }
            Thread.sleep(100);
        }
        run("umount", "--lazy", dir.toString());
    }

    private static void run(String... command) throws Exception {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (this test needs root): " + output);
        }
    }
}
