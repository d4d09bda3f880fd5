package dev.rfork.worker.criu;

import dev.rfork.config.OwnerOnly;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * CRIU's kernel probe, kept where CRIU does not keep it itself. Every CRIU run first probes the
 * kernel (~55 ms of a small dump's ~100 here) unless it finds {@code /run/criu.kdat}; CRIU writes
 * that file only when {@code /run} is a tmpfs, so that a reboot, perhaps into another kernel,
 * removes it. Where {@code /run} is not a tmpfs (a container, a VM without systemd, as on these
 * machines) the worker makes the file at start: CRIU probes once in a mount namespace of its own
 * with a tmpfs on {@code /run}, and the file it writes there is put in place. CRIU reads it back
 * checking only its size and magic numbers, so the worker makes it anew at every start and
 * removes it when it stops: only a worker killed before a reboot into another kernel leaves one
 * behind for the next boot, which the next start replaces. A failure to make it is logged and
 * changes nothing else: CRIU then probes as before. The probe (~120 ms) runs beside the worker's
 * start, not in it: a dump before it is done probes for itself.
 */
public final class KernelProbe implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KernelProbe.class);

    /** Where CRIU looks for its probe when run as root (its build's KDAT_RUNDIR). */
    static final Path FILE = Path.of("/run/criu.kdat");

    // In the namespace: a tmpfs on /run, 'criu check' writes its probe there, which is copied out.
    private static final String PROBE = "dest=$1; shift; mount -t tmpfs -o size=1m,mode=0700 rfork-kdat /run || exit 3;"
            + " \"$@\" check >/dev/null 2>&1; cp /run/criu.kdat \"$dest\"";

    private final CompletableFuture<Boolean> made;

    private KernelProbe(CompletableFuture<Boolean> made) {
        this.made = made;
    }

    /**
     * Starts putting CRIU's kernel probe in place if {@code /run} (by {@code mounts},
     * /proc/self/mounts) is not a tmpfs, on a thread of its own; {@code scratch} is a directory of
     * the worker's own for the probe on its way.
     */
    public static KernelProbe keep(List<String> criu, Path mounts, Path scratch) {
        CompletableFuture<Boolean> made = new CompletableFuture<>();
        Thread thread = new Thread(
                () -> {
                    try {
                        made.complete(make(criu, mounts, scratch));
                    } catch (RuntimeException | Error e) {
                        LOG.warn(
                                "CRIU's kernel probe failed: {}; each dump and restore probes the kernel again",
                                e.toString());
                        made.complete(false);
                    }
                },
                "criu-kernel-probe");
        thread.setDaemon(true);
        thread.start();
        return new KernelProbe(made);
    }

    private static boolean make(List<String> criu, Path mounts, Path scratch) {
        Optional<String> run = runMountType(mounts);
        if (run.isEmpty() || run.get().equals("tmpfs")) {
            return false; // unknown, or CRIU keeps it itself
        }
        Path probe = scratch.resolve("criu.kdat.new");
        try {
            Files.deleteIfExists(probe);
            List<String> command = new ArrayList<>(List.of(
                    "unshare", "--mount", "--propagation", "private", "sh", "-c", PROBE, "sh", probe.toString()));
            command.addAll(criu);
            CommandResult result = CriuProcess.run(command, Duration.ofSeconds(60));
            if (result.exitStatus() != 0 || !Files.isRegularFile(probe) || Files.size(probe) == 0) {
                LOG.warn(
                        "cannot make CRIU's kernel probe (/run: {}, not a tmpfs): each dump and restore probes the"
                                + " kernel again: {}",
                        run.get(),
                        result.tailText());
                return false;
            }
            Path next = FILE.resolveSibling(".criu.kdat.rfork");
            Files.deleteIfExists(next);
            Files.createFile(next, OwnerOnly.fileMode());
            Files.write(next, Files.readAllBytes(probe));
            Files.move(next, FILE, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            LOG.info(
                    "CRIU's kernel probe kept in {} (/run: {}, not a tmpfs): dumps and restores skip it",
                    FILE,
                    run.get());
            return true;
        } catch (IOException | UncheckedIOException e) {
            LOG.warn(
                    "cannot keep CRIU's kernel probe in {}: {}; each dump and restore probes the kernel again",
                    FILE,
                    e.toString());
            return false;
        } finally {
            probe.toFile().delete();
        }
    }

    /** The type of the file system mounted on {@code /run} (the last mount there is in effect); empty if unreadable. */
    public static Optional<String> runMountType(Path mounts) {
        try (var lines = Files.lines(mounts)) {
            return Optional.of(lines.map(line -> line.split(" "))
                    .filter(fields -> fields.length > 2 && fields[1].equals("/run"))
                    .map(fields -> fields[2])
                    .reduce((first, second) -> second)
                    .orElse("none"));
        } catch (IOException | UncheckedIOException e) {
            return Optional.empty();
        }
    }

    /** Whether this worker put the probe in place (and so removes it when it stops), waiting for it at most {@code wait}. */
    public boolean made(Duration wait) {
        try {
            return made.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Removes the probe this worker made; a probe still running is waited for (it ends within its timeout). */
    @Override
    public void close() {
        if (made(Duration.ofSeconds(70))) {
            FILE.toFile().delete();
        }
    }
}
