package dev.rfork.cluster;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Small test processes on the nodes, many at a time: python counters (a line every half second)
 * tagged with a marker on their command line, so that their copies can be told from anything
 * else running in the node. One {@code docker exec} per node and call, not one per process.
 */
final class Counters {
    static final String MARKER = "rfork-load-counter";
    /** Matches the counters' command lines but not the shell script that contains the pattern. */
    private static final String MARKER_PATTERN = "rfork-load-counte[r]";
    /** Ticks every half second; an optional second argument: MiB of memory to hold (a large dump). */
    private static final String PROGRAM = "import sys, time\nballast = bytearray(b'rfork' * 209715) * int(sys.argv[2])"
            + " if len(sys.argv) > 2 else None\nn = 0\nwhile True:\n    n += 1\n"
            + "    print('tick', n, flush=True)\n    time.sleep(0.5)";

    /** What a copy looked like: its /proc state (- when gone), whether it is a counter, its last tick. */
    record Copy(UUID requestId, long pid, String state, boolean counter, long lastTick) {
        boolean alive() {
            return !state.equals("-") && !state.equals("Z") && !state.equals("X");
        }
    }

    private final Cluster cluster;

    Counters(Cluster cluster) {
        this.cluster = cluster;
    }

    /**
     * Starts {@code count} counters in {@code node}, each in its own session with no descriptor of
     * the shell (stdin /dev/null, output to a file): nothing a copy's restore could wait on.
     */
    List<Long> start(String node, int count) {
        return start(node, count, 0);
    }

    /** As {@link #start(String, int)}, each counter holding {@code mib} MiB of memory besides. */
    List<Long> start(String node, int count, int mib) {
        // Output files of their own ($$: this shell), so that counters started later never share one.
        String script = "mkdir -p /tmp/rfork-load && for i in $(seq " + count + "); do "
                + "setsid python3 -c \"$0\" " + MARKER + (mib > 0 ? " " + mib : "")
                + " </dev/null >/tmp/rfork-load/counter-$$-$i.out 2>&1 & echo $!; done";
        var result = cluster.exec(node, "bash -c " + quote(script) + " " + quote(PROGRAM));
        if (result.getExitCode() != 0) {
            throw new IllegalStateException("cannot start counters in " + node + ": " + result.getStderr());
        }
        List<Long> pids = Arrays.stream(result.getStdout().trim().split("\\s+"))
                .map(Long::parseLong)
                .toList();
        String list = pids.stream().map(String::valueOf).collect(Collectors.joining(" "));
        cluster.sh(
                node,
                "for t in $(seq 300); do n=0; for p in " + list + "; do "
                        + "[ -s /proc/$p/fd/1 ] && n=$((n+1)); done; [ $n -eq " + count
                        + " ] && exit 0; sleep 0.1; done; exit 1");
        return pids;
    }

    /** The PIDs of every counter in {@code node}: originals and copies. */
    Set<Long> running(String node) {
        String out = cluster.exec(node, "pgrep -f '" + MARKER_PATTERN + "' || true")
                .getStdout()
                .trim();
        return out.isEmpty()
                ? Set.of()
                : Arrays.stream(out.split("\\s+")).map(Long::parseLong).collect(Collectors.toSet());
    }

    /** How the copies restored in {@code node} are doing; their output is in the spool's inbox. */
    List<Copy> inspect(String node, Map<UUID, Long> copies) {
        if (copies.isEmpty()) {
            return List.of();
        }
        String entries = copies.entrySet().stream()
                .map(e -> e.getKey() + ":" + e.getValue())
                .collect(Collectors.joining(" "));
        String script = "for e in " + entries + "; do id=${e%%:*}; pid=${e##*:}; "
                + "s=$(awk '{print $3}' /proc/$pid/stat 2>/dev/null); "
                + "m=$(tr '\\0' ' ' < /proc/$pid/cmdline 2>/dev/null | grep -c '" + MARKER_PATTERN + "'); "
                + "t=$(tail -n1 /var/lib/rfork/spool/inbox/$id.out 2>/dev/null | awk '$1 == \"tick\" {print $2}'); "
                + "echo \"$id $pid ${s:--} ${m:-0} ${t:-0}\"; done";
        List<Copy> seen = new ArrayList<>();
        for (String line : cluster.sh(node, script).split("\n")) {
            String[] f = line.trim().split("\\s+");
            seen.add(new Copy(
                    UUID.fromString(f[0]), Long.parseLong(f[1]), f[2], !f[3].equals("0"), Long.parseLong(f[4])));
        }
        return seen;
    }

    /**
     * Which of {@code pids} in {@code node} are not counting: gone, a zombie, stopped, or without a
     * new tick over 1.2 s (on their standard output, wherever it goes: an original's file or a
     * copy's output in the inbox). Each as "PID: why"; empty when all count on.
     */
    List<String> notCounting(String node, Collection<Long> pids) {
        if (pids.isEmpty()) {
            return List.of();
        }
        String list = pids.stream().map(String::valueOf).collect(Collectors.joining(" "));
        String snapshot = "for p in " + list + "; do s=$(awk '{print $3}' /proc/$p/stat 2>/dev/null); "
                + "t=$(tail -n1 /proc/$p/fd/1 2>/dev/null | awk '$1 == \"tick\" {print $2}'); "
                + "echo \"$p ${s:--} ${t:-0}\"; done";
        String[] rounds =
                cluster.sh(node, snapshot + "; sleep 1.2; echo ==; " + snapshot).split("==");
        Map<String, String> before = new HashMap<>();
        rounds[0]
                .lines()
                .map(String::trim)
                .filter(line -> !line.isEmpty())
                .forEach(line -> before.put(line.split("\\s+")[0], line.split("\\s+")[2]));
        List<String> problems = new ArrayList<>();
        for (String line : rounds[1].trim().split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f[1].equals("-") || f[1].equals("Z") || f[1].equals("X") || f[1].equals("T") || f[1].equals("t")) {
                problems.add(node + " PID " + f[0] + ": state " + f[1]);
            } else if (Long.parseLong(f[2]) <= Long.parseLong(before.getOrDefault(f[0], "0"))) {
                problems.add(node + " PID " + f[0] + ": no new tick in 1.2 s (last " + f[2] + ")");
            }
        }
        return problems;
    }

    /**
     * Ends the given processes of {@code node} (by PID: TERM, then KILL after 10 s) and returns
     * those still there after that, and any CRIU restore still holding a copy's namespace.
     */
    List<String> stop(String node, Collection<Long> pids) {
        if (pids.isEmpty()) {
            return List.of();
        }
        String list = pids.stream().map(String::valueOf).collect(Collectors.joining(" "));
        String script = "kill -TERM " + list + " 2>/dev/null; for i in $(seq 100); do left=''; for p in " + list
                + "; do [ -d /proc/$p ] && [ \"$(awk '{print $3}' /proc/$p/stat 2>/dev/null)\" != Z ] && left=\"$left $p\";"
                + " done; [ -z \"$left\" ] && break; sleep 0.1; done; [ -n \"$left\" ] && kill -KILL $left 2>/dev/null;"
                + " sleep 0.5; for i in $(seq 50); do h=$(pgrep -f 'criu.* restor[e] ' | tr '\\n' ' ');"
                + " [ -z \"$h\" ] && break; sleep 0.1; done;"
                + " echo \"left:$left\"; echo \"holders:$h\"";
        List<String> leftovers = new ArrayList<>();
        for (String line : cluster.sh(node, script).split("\n")) {
            String[] kv = line.split(":", 2);
            if (kv.length == 2 && !kv[1].isBlank()) {
                leftovers.add(node + " " + (kv[0].equals("left") ? "needed SIGKILL: " : "CRIU restore still running: ")
                        + kv[1].trim());
            }
        }
        return leftovers;
    }

    /** {@code stop} for every node, the PIDs grouped by node. */
    List<String> stopAll(Map<String, ? extends Collection<Long>> pidsByNode) {
        Map<String, List<Long>> copy = new HashMap<>();
        pidsByNode.forEach((node, pids) -> copy.put(node, List.copyOf(pids)));
        List<String> leftovers = new ArrayList<>();
        copy.forEach((node, pids) -> leftovers.addAll(stop(node, pids)));
        return leftovers;
    }

    private static String quote(String text) {
        return "'" + text.replace("'", "'\\''") + "'";
    }
}
