package dev.rfork.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rfork.message.Messages;
import java.io.File;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.ContainerState;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * The three-node cluster of the repository's compose.yaml, on the project's own image, with
 * fresh secrets: what users run, driven through {@code docker compose exec}-like calls.
 */
final class Cluster implements AutoCloseable {
    static final Map<String, String> ADDRESSES = Map.of("node1", "172.28.0.11", "node2", "172.28.0.12",
            "node3", "172.28.0.13");

    private final ComposeContainer compose;
    private final Map<String, String> secrets = new LinkedHashMap<>();

    Cluster() {
        for (String name : List.of("APP", "WORKER", "FTP", "CLUSTER", "ADMIN")) {
            secrets.put("RFORK_" + name + "_PASSWORD", UUID.randomUUID().toString().replace("-", ""));
        }
        ComposeContainer container = new ComposeContainer(new File(System.getProperty("rfork.compose.file",
                "../compose.yaml"))).withLocalCompose(true).withEnv(secrets).withBuild(false);
        for (String node : ADDRESSES.keySet()) {
            container = container.waitingFor(node, Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(5)));
        }
        this.compose = container;
    }

    Cluster start() {
        compose.start();
        return this;
    }

    String secret(String name) {
        return secrets.get("RFORK_" + name + "_PASSWORD");
    }

    /** Runs a shell script in a node; fails the test when it exits non-zero. */
    String sh(String node, String script) {
        Container.ExecResult result = exec(node, script);
        assertThat(result.getExitCode()).as("in %s: %s\nstdout: %s\nstderr: %s", node, script, result.getStdout(),
                result.getStderr()).isZero();
        return result.getStdout().trim();
    }

    Container.ExecResult exec(String node, String script) {
        try {
            return container(node).execInContainer("bash", "-c", script);
        } catch (Exception e) {
            throw new IllegalStateException("exec in " + node + " failed: " + script, e);
        }
    }

    /** Starts a counter (ten ticks a second on stdout, into /tmp/NAME.out) in its own session. */
    long startCounter(String node, String name) {
        sh(node, "setsid python3 -c 'import time\nn = 0\nwhile True:\n    n += 1\n    print(\"tick\", n, flush=True)\n"
                + "    time.sleep(0.1)' > /tmp/" + name + ".out 2>&1 < /dev/null & echo $! > /tmp/" + name + ".pid");
        long pid = Long.parseLong(sh(node, "cat /tmp/" + name + ".pid"));
        sh(node, "for i in $(seq 100); do [ \"$(wc -l < /tmp/" + name + ".out)\" -ge 5 ] && exit 0; sleep 0.1; done; exit 1");
        return pid;
    }

    /** {@code rfork fork|migrate --wait --json} in {@code node}; returns the outcome object. */
    JsonNode request(String node, String mode, long pid, String target) {
        Container.ExecResult result = exec(node, "rfork " + mode + " --pid " + pid + " --to " + target
                + " --wait --json --timeout 120");
        String[] lines = result.getStdout().trim().split("\n");
        try {
            return Messages.mapper().readTree(lines[lines.length - 1]);
        } catch (Exception e) {
            throw new AssertionError("no JSON outcome from rfork " + mode + " in " + node + ": " + result.getStdout()
                    + result.getStderr(), e);
        }
    }

    boolean running(String node, long pid) {
        return exec(node, "s=$(awk '{print $3}' /proc/" + pid + "/stat 2>/dev/null); [ -n \"$s\" ] && [ \"$s\" != Z ]")
                .getExitCode() == 0;
    }

    /** The ticks a process wrote, first and last. */
    long[] ticks(String node, String file) {
        String text = sh(node, "grep '^tick' " + file + " | sed -n '1p;$p' | awk '{print $2}'");
        String[] values = text.split("\\s+");
        return new long[] {Long.parseLong(values[0]), Long.parseLong(values[values.length - 1])};
    }

    void stopNode(String node) {
        String id = container(node).getContainerId();
        DockerClientFactory.instance().client().stopContainerCmd(id).withTimeout(10).exec();
    }

    void startNode(String node) {
        String id = container(node).getContainerId();
        DockerClientFactory.instance().client().startContainerCmd(id).exec();
    }

    private ContainerState container(String node) {
        return compose.getContainerByServiceName(node)
                .or(() -> compose.getContainerByServiceName(node + "-1"))
                .orElseThrow(() -> new IllegalStateException("no service " + node + " in compose.yaml"));
    }

    @Override
    public void close() {
        compose.stop();
    }
}
