package dev.rfork.worker.criu;

import dev.rfork.message.Messages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What the original's standard streams were, recorded at dump time (file {@value #FILE_NAME} in
 * the images) because two cases need help at restore:
 * <ul>
 * <li>a regular file not opened for append (e.g. {@code > app.log}): CRIU refuses to reopen it
 *     once it has grown, so the copy gets a file of its own in the target's spool instead,
 *     through {@code --inherit-fd};</li>
 * <li>a terminal: CRIU needs a terminal to restore into, so the restore runs under
 *     {@code script}, which gives the copy a fresh pty whose output is logged in the spool.</li>
 * </ul>
 *
 * @param redirected keys (CRIU's path, without the leading slash) of stdout (index 0) and stderr
 *                   (index 1) when they are such files; null otherwise
 */
public record Stdio(List<String> redirected, boolean terminal) {
    public static final String FILE_NAME = "rfork-stdio.json";
    private static final int O_APPEND = 02000;

    static Stdio inspect(long pid) {
        boolean terminal = false;
        String[] redirected = new String[2];
        for (int fd = 0; fd <= 2; fd++) {
            String path = link(pid, fd).orElse("");
            if (path.startsWith("/dev/pts/") || path.matches("/dev/tty\\d*")) {
                terminal = true;
            } else if (fd > 0 && path.startsWith("/") && Files.isRegularFile(Path.of(path)) && !appending(pid, fd)) {
                redirected[fd - 1] = path.substring(1);
            }
        }
        return new Stdio(Arrays.asList(redirected), terminal);
    }

    public String stdoutKey() {
        return redirected.size() > 0 ? redirected.get(0) : null;
    }

    public String stderrKey() {
        return redirected.size() > 1 ? redirected.get(1) : null;
    }

    void write(Path imageDir) throws IOException {
        Files.writeString(imageDir.resolve(FILE_NAME), Messages.toJson(this));
    }

    static Stdio read(Path imageDir) throws IOException {
        Path file = imageDir.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            return new Stdio(List.of(), false);
        }
        Stdio stdio = Messages.fromJson(Files.readString(file), Stdio.class);
        for (String key : stdio.redirected()) {
            // Only ever an argument of criu's --inherit-fd, never opened by us; still, keep it plain.
            if (key != null && (key.length() > 4096 || key.chars().anyMatch(Character::isISOControl))) {
                throw new IllegalArgumentException("unusable stdio path in " + FILE_NAME);
            }
        }
        return stdio;
    }

    private static Optional<String> link(long pid, int fd) {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "fd", Integer.toString(fd)))
                    .toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static boolean appending(long pid, int fd) {
        try {
            for (String line :
                    Files.readAllLines(Path.of("/proc", Long.toString(pid), "fdinfo", Integer.toString(fd)))) {
                if (line.startsWith("flags:")) {
                    return (Integer.parseInt(line.substring(6).trim(), 8) & O_APPEND) != 0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return false;
        }
        return false;
    }
}
