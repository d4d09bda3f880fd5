package dev.rfork.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether a standard stream is a terminal, where a line may be rewritten in place. */
final class Terminal {
    static final int STDOUT = 1;
    static final int STDERR = 2;

    private Terminal() {}

    /**
     * isatty(fd), as Linux answers it in /proc: a terminal is a pseudo-terminal, a virtual console or
     * a serial line. {@code System.console()} alone cannot tell stderr, and is non-null only when
     * stdin is a terminal too.
     */
    static boolean is(int fd) {
        try {
            String device =
                    Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return device.startsWith("/dev/pts/") || device.startsWith("/dev/tty") || device.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException e) {
            return fd == STDOUT && System.console() != null;
        }
    }
}
