package dev.rfork.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.model.ExposedPort;
import dev.rfork.client.BrokerUrl;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.config.TrustStore;
import dev.rfork.message.Event;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.ComposeContainer;
import org.testcontainers.containers.Container;
import org.testcontainers.containers.ContainerState;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.MountableFile;

/**
 * The three-node cluster of the repository's compose.yaml, on the project's own image, with
 * fresh secrets: what users run, driven through {@code docker compose exec}-like calls. Its
 * network and console ports are its own (a compose project of its own, {@link ClusterNet}, ports
 * Docker picks), so it runs beside another engineer's cluster or a cluster started by hand. The
 * image is {@code RFORK_NODE_IMAGE} when set (e.g. one built from a branch), else rfork-node:latest.
 */
final class Cluster implements AutoCloseable {
    static final String NET = ClusterNet.reserve();
    static final Map<String, String> ADDRESSES =
            Map.of("node1", NET + ".11", "node2", NET + ".12", "node3", NET + ".13");
    private static final int CONSOLE_PORT = 8161;

    /** Where the node image mounts the cluster's CA certificate from (compose.yaml). */
    static final String TRUSTSTORE_IN_NODE = "/etc/rfork/tls/trust/truststore.p12";

    private final ComposeContainer compose;
    private final Map<String, String> secrets;
    private final boolean tls;
    private final Path tlsDir;

    /** The cluster as users run it: TLS on. */
    Cluster() {
        this(true);
    }

    /**
     * @param tls false runs every node with RFORK_TLS=off (plain text), for the test that shows
     *     a capture of the cluster's traffic can see what TLS hides
     */
    Cluster(boolean tls) {
        this.tls = tls;
        Path work = workDirectory();
        this.tlsDir = work.resolve("tls");
        // The secrets and TLS files the way users make them: scripts/cluster-env.sh.
        this.secrets = clusterEnv(work.resolve("cluster.env"), tlsDir);
        Map<String, String> env = new LinkedHashMap<>(secrets);
        env.put("RFORK_CLUSTER_NET", NET);
        env.put("RFORK_TLS_DIR", tlsDir.toString());
        env.put("RFORK_TLS", tls ? "on" : "off");
        for (int i = 1; i <= ADDRESSES.size(); i++) {
            env.put("RFORK_CONSOLE_PORT" + i, "0");
            env.put("RFORK_METRICS_PORT" + i, "0");
        }
        // No registry here: the image is built locally (scripts/build-node-image.sh), never pulled.
        ComposeContainer container = new ComposeContainer(
                        new File(System.getProperty("rfork.compose.file", "../compose.yaml")))
                .withLocalCompose(true)
                .withEnv(env)
                .withBuild(false)
                .withPull(false);
        for (String node : ADDRESSES.keySet()) {
            container = container.waitingFor(node, Wait.forHealthcheck().withStartupTimeout(Duration.ofMinutes(5)));
        }
        this.compose = container;
    }

    Cluster start() {
        compose.start();
        return this;
    }

    private static Path workDirectory() {
        try {
            return Files.createTempDirectory("rfork-cluster-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs scripts/cluster-env.sh for this cluster's network; returns the secrets it wrote. */
    private static Map<String, String> clusterEnv(Path envFile, Path tlsDir) {
        Path script = Path.of(System.getProperty("rfork.compose.file", "../compose.yaml"))
                .toAbsolutePath()
                .getParent()
                .resolve("scripts/cluster-env.sh");
        try {
            ProcessBuilder builder = new ProcessBuilder("bash", script.toString())
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().put("RFORK_ENV_FILE", envFile.toString());
            builder.environment().put("RFORK_TLS_DIR", tlsDir.toString());
            builder.environment().put("RFORK_CLUSTER_NET", NET);
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor())
                    .as("scripts/cluster-env.sh:\n%s", output)
                    .isZero();
            Map<String, String> values = new LinkedHashMap<>();
            for (String line : Files.readAllLines(envFile)) {
                int equals = line.indexOf('=');
                if (line.startsWith("RFORK_") && equals > 0) {
                    values.put(line.substring(0, equals), line.substring(equals + 1));
                }
            }
            return values;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    String secret(String name) {
        return secrets.get("RFORK_" + name + "_PASSWORD");
    }

    /** Runs a shell script in a node; fails the test when it exits non-zero. */
    String sh(String node, String script) {
        Container.ExecResult result = exec(node, script);
        assertThat(result.getExitCode())
                .as("in %s: %s\nstdout: %s\nstderr: %s", node, script, result.getStdout(), result.getStderr())
                .isZero();
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
        sh(
                node,
                "setsid python3 -c 'import time\nn = 0\nwhile True:\n    n += 1\n    print(\"tick\", n, flush=True)\n"
                        + "    time.sleep(0.1)' > /tmp/" + name + ".out 2>&1 < /dev/null & echo $! > /tmp/" + name
                        + ".pid");
        long pid = Long.parseLong(sh(node, "cat /tmp/" + name + ".pid"));
        sh(
                node,
                "for i in $(seq 100); do [ \"$(wc -l < /tmp/" + name
                        + ".out)\" -ge 5 ] && exit 0; sleep 0.1; done; exit 1");
        return pid;
    }

    /** {@code rfork fork|migrate --wait --json} in {@code node}; returns the outcome object. */
    JsonNode request(String node, String mode, long pid, String target) {
        Container.ExecResult result =
                exec(node, "rfork " + mode + " --pid " + pid + " --to " + target + " --wait --json --timeout 120");
        String[] lines = result.getStdout().trim().split("\n");
        try {
            return Messages.mapper().readTree(lines[lines.length - 1]);
        } catch (Exception e) {
            throw new AssertionError(
                    "no JSON outcome from rfork " + mode + " in " + node + ": " + result.getStdout()
                            + result.getStderr(),
                    e);
        }
    }

    /** Sends {@code request} to {@code source}'s broker from the host, as an application would, and follows it. */
    Outcome forkAndWait(String source, ForkRequest request, Duration timeout) {
        try (RforkClient client = RforkClient.connect(brokerUrl(source), "app", secret("APP"))) {
            return client.forkAndWait(request, timeout, event -> {});
        }
    }

    /** One request with several targets from the host, to {@code source}'s broker; one outcome per target. */
    List<Outcome> forkAndWaitAll(String source, ForkRequest request, Duration timeout, Consumer<Event> onEvent) {
        try (RforkClient client = RforkClient.connect(brokerUrl(source), "app", secret("APP"))) {
            return client.forkAndWaitAll(request, timeout, onEvent);
        }
    }

    boolean running(String node, long pid) {
        return exec(node, "s=$(awk '{print $3}' /proc/" + pid + "/stat 2>/dev/null); [ -n \"$s\" ] && [ \"$s\" != Z ]")
                        .getExitCode()
                == 0;
    }

    /** The ticks a process wrote, first and last. */
    long[] ticks(String node, String file) {
        String text = sh(node, "grep '^tick' " + file + " | sed -n '1p;$p' | awk '{print $2}'");
        String[] values = text.split("\\s+");
        return new long[] {Long.parseLong(values[0]), Long.parseLong(values[values.length - 1])};
    }

    /**
     * Each node's broker, straight at the node's address on the compose network: compose
     * publishes only the consoles, and on Linux the host reaches the containers' addresses.
     */
    Map<String, String> brokerUrls() {
        Map<String, String> urls = new LinkedHashMap<>();
        ADDRESSES.keySet().stream().sorted().forEach(node -> urls.put(node, brokerUrl(node)));
        return urls;
    }

    /** A node's broker from the host: with TLS, its certificate checked against the cluster's CA. */
    String brokerUrl(String node) {
        String url = "tcp://" + ADDRESSES.get(node) + ":61616";
        return tls ? BrokerUrl.withTls(url, trust()) : url;
    }

    /** The cluster's CA, as scripts/cluster-env.sh made it. */
    TrustStore trust() {
        return new TrustStore(tlsDir.resolve("trust/truststore.p12"), secrets.get("RFORK_TLS_TRUSTSTORE_PASSWORD"));
    }

    /** The node's own broker, from inside a node (as an app in it connects), quoted for a shell. */
    String brokerUrlInNode() {
        String url = "tcp://127.0.0.1:61616";
        return "'"
                + (tls
                        ? BrokerUrl.withTls(
                                url,
                                new TrustStore(
                                        Path.of(TRUSTSTORE_IN_NODE), secrets.get("RFORK_TLS_TRUSTSTORE_PASSWORD")))
                        : url)
                + "'";
    }

    /** The one process of {@code node} whose command line matches {@code pattern} (pgrep -f). */
    long pid(String node, String pattern) {
        String out = sh(node, "pgrep -f '" + pattern + "' || true");
        assertThat(out.split("\\s+"))
                .as("processes matching %s in %s", pattern, node)
                .hasSize(1);
        return Long.parseLong(out);
    }

    /** The worker's PID ({@code rfork worker}); the bracket keeps pgrep from matching its own shell. */
    long workerPid(String node) {
        return pid(node, "rfork.jar [w]orker$");
    }

    long brokerPid(String node) {
        return pid(node, "artemis.boot.Artemis [r]un");
    }

    /**
     * Waits until {@code node} has a worker other than {@code previous} that consumes both of
     * its queues (the node's own health check, run now rather than at its next interval).
     */
    long awaitNewWorker(String node, long previous, Duration timeout) {
        String script = "for i in $(seq " + timeout.toSeconds() * 2 + "); do "
                + "w=$(pgrep -f 'rfork.jar [w]orker$'); "
                + "if [ -n \"$w\" ] && [ \"$w\" != " + previous
                + " ] && python3 /opt/rfork/node-healthcheck.py >/dev/null; "
                + "then echo $w; exit 0; fi; sleep 0.5; done; python3 /opt/rfork/node-healthcheck.py; exit 1";
        return Long.parseLong(sh(node, script));
    }

    /** Waits for Docker to call {@code node} healthy (after {@link #startNode}). */
    void awaitHealthy(String node, Duration timeout) {
        var docker = DockerClientFactory.instance().client();
        String id = container(node).getContainerId();
        long deadline = System.nanoTime() + timeout.toNanos();
        String status = "";
        while (System.nanoTime() < deadline) {
            var state = docker.inspectContainerCmd(id).exec().getState();
            status = state.getHealth() == null
                    ? String.valueOf(state.getStatus())
                    : state.getHealth().getStatus();
            if ("healthy".equals(status)) {
                return;
            }
            sleepQuietly(500);
        }
        throw new AssertionError(node + " not healthy within " + timeout + " (" + status + ")");
    }

    /** Messages in a queue of {@code node}'s broker, as {@code rfork queues} counts them (delivering ones too). */
    long queueDepth(String node, String queue) {
        String line = sh(node, "rfork queues | awk '$1 == \"" + queue + "\" {print $2}'");
        return line.isEmpty() ? 0 : Long.parseLong(line);
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    void stopNode(String node) {
        String id = container(node).getContainerId();
        DockerClientFactory.instance()
                .client()
                .stopContainerCmd(id)
                .withTimeout(10)
                .exec();
    }

    void startNode(String node) {
        String id = container(node).getContainerId();
        DockerClientFactory.instance().client().startContainerCmd(id).exec();
    }

    /** The host port of the node's web console (Docker picks it, and picks again when the node restarts). */
    int consolePort(String node) {
        var bindings = DockerClientFactory.instance()
                .client()
                .inspectContainerCmd(container(node).getContainerId())
                .exec()
                .getNetworkSettings()
                .getPorts()
                .getBindings()
                .get(ExposedPort.tcp(CONSOLE_PORT));
        if (bindings == null || bindings.length == 0) {
            throw new IllegalStateException(node + " does not publish its console port " + CONSOLE_PORT);
        }
        return Integer.parseInt(bindings[0].getHostPortSpec());
    }

    /** Copies a file of the host into a node. */
    void copyTo(String node, Path file, String into) {
        container(node).copyFileToContainer(MountableFile.forHostPath(file), into);
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
