package dev.rfork.worker.metrics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a peer's {@code rfork doctor} asks of this node at {@code GET /node} (next to
 * {@code /metrics}, with the same login): enough to tell whether a process dumped there can run
 * here. CPU features are compared as sets of {@code /proc/cpuinfo} flags rather than with
 * {@code criu cpuinfo check}, which can only judge images already made, on the machine that
 * restores them.
 *
 * @param node     this node's address
 * @param criu     the first line of {@code criu --version}
 * @param kernel   the running kernel's release
 * @param cpuFlags the CPU's feature flags, sorted
 */
public record NodeInfo(String node, String criu, String kernel, List<String> cpuFlags) {
    public static final String PATH = "/node";

    public static NodeInfo of(String node, String criuVersion) {
        return new NodeInfo(node, criuVersion, System.getProperty("os.version"), cpuFlags(Path.of("/proc/cpuinfo")));
    }

    /**
     * The features a process started here may use that {@code there} lacks: a copy restored
     * there could fault on its first such instruction. Empty when every flag here is there too.
     */
    public List<String> missingOn(NodeInfo there) {
        Set<String> missing = new TreeSet<>(cpuFlags);
        there.cpuFlags.forEach(missing::remove);
        return List.copyOf(missing);
    }

    /** The first processor's {@code flags} (x86) or {@code Features} (arm64) line; empty when unreadable. */
    static List<String> cpuFlags(Path cpuinfo) {
        try {
            return Files.readAllLines(cpuinfo).stream()
                    .filter(line -> line.startsWith("flags") || line.startsWith("Features"))
                    .findFirst()
                    .map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .map(flags -> Arrays.stream(flags.split("\\s+"))
                            .filter(flag -> !flag.isEmpty())
                            .sorted()
                            .toList())
                    .orElse(List.of());
        } catch (IOException e) {
            return List.of();
        }
    }
}
