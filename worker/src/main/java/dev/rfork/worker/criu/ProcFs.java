package dev.rfork.worker.criu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** The few facts about processes that the worker reads from /proc. */
public final class ProcFs {
    private ProcFs() {}

    /** Every process this worker's PID namespace shows, by PID (threads other than the main ones aside). */
    public static List<Long> pids() {
        try (var entries = Files.list(Path.of("/proc"))) {
            return entries.map(entry -> entry.getFileName().toString())
                    .filter(name -> name.matches("\\d+"))
                    .map(Long::valueOf)
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    public static boolean exists(long pid) {
        return Files.isDirectory(Path.of("/proc", Long.toString(pid)));
    }

    /** State letter from /proc/PID/stat (R, S, T, Z...), or empty when the process is gone. */
    public static String state(long pid) {
        return statFields(pid).map(fields -> fields[0]).orElse("");
    }

    /**
     * Session ID as this worker's PID namespace sees it. 0 means the session leader lives
     * outside that namespace (or is the kernel's): CRIU refuses to checkpoint such a process.
     */
    public static OptionalLong sessionId(long pid) {
        return statFields(pid)
                .map(fields -> OptionalLong.of(Long.parseLong(fields[3])))
                .orElse(OptionalLong.empty());
    }

    /** The fields of /proc/PID/stat after the command name: state, ppid, pgrp, session, ... */
    static Optional<String[]> statFields(long pid) {
        try {
            return Optional.of(fieldsAfterName(Files.readString(Path.of("/proc", Long.toString(pid), "stat"))));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The command name is in parentheses and may itself hold spaces and parentheses. */
    static String[] fieldsAfterName(String stat) {
        return stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    }

    public static boolean isRunning(long pid) {
        String state = state(pid);
        return !state.isEmpty() && !state.equals("Z") && !state.equals("X");
    }

    /** Resident memory of the process and all its descendants, in bytes (0 for what is gone). */
    public static long treeResidentBytes(long pid) {
        long bytes = statusField(pid, "VmRSS:").orElse(0) * 1024;
        for (long child : children(pid)) {
            bytes += treeResidentBytes(child);
        }
        return bytes;
    }

    /** Real UID of the process, from /proc/PID/status. */
    public static OptionalLong uid(long pid) {
        return statusField(pid, "Uid:");
    }

    /** The process's command line (/proc/PID/cmdline), empty when it is gone. */
    public static List<String> commandLine(long pid) {
        try {
            String text = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"));
            return text.isEmpty() ? List.of() : List.of(text.split("\0"));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /** The PID of the process tracing this one (a CRIU dumping it), 0 when none. */
    public static OptionalLong tracerPid(long pid) {
        return statusField(pid, "TracerPid:");
    }

    /**
     * The thread group (process) that {@code pid} belongs to. It differs from {@code pid} when
     * {@code pid} is the id of a thread other than the main one: /proc shows such a thread at
     * /proc/TID too, though it is not a process.
     */
    public static OptionalLong threadGroup(long pid) {
        return statusField(pid, "Tgid:");
    }

    /** Traced by a {@code criu dump} (run directly or through a loader, as rfork-criu does). */
    public static boolean dumpedByCriu(long pid) {
        long tracer = tracerPid(pid).orElse(0);
        List<String> command = tracer == 0 ? List.of() : commandLine(tracer);
        return command.contains("dump")
                && command.stream().anyMatch(arg -> arg.equals("criu") || arg.endsWith("/criu"));
    }

    public static OptionalLong parentPid(long pid) {
        return statusField(pid, "PPid:");
    }

    private static OptionalLong statusField(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field)) {
                    return OptionalLong.of(
                            Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]));
                }
            }
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
        return OptionalLong.empty();
    }

    /** Direct children of a process, from /proc/PID/task/PID/children. */
    public static List<Long> children(long pid) {
        Path file = Path.of("/proc", Long.toString(pid), "task", Long.toString(pid), "children");
        try {
            String text = Files.readString(file).trim();
            return text.isEmpty()
                    ? List.of()
                    : Arrays.stream(text.split("\\s+")).map(Long::valueOf).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The process's PID in each PID namespace it is in, outermost first (NSpid in /proc/PID/status). */
    public static List<Long> namespacePids(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("NSpid:")) {
                    return Arrays.stream(line.substring(6).trim().split("\\s+"))
                            .map(Long::valueOf)
                            .toList();
                }
            }
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        return List.of();
    }
}
