package dev.rfork.worker;

import dev.rfork.client.RforkClient;
import dev.rfork.config.Settings;
import dev.rfork.worker.config.WorkerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A worker in a JVM of its own, embedded broker included, so that a test can end it the way a
 * crash or a power cut would: SIGKILL, no shutdown hook, nothing flushed.
 */
final class WorkerProcess implements AutoCloseable {
    private final Process process;
    private final Map<String, String> settings;
    private final Path log;
    private WorkerConfig config;

    private WorkerProcess(Process process, Map<String, String> settings, Path log) {
        this.process = process;
        this.settings = Map.copyOf(settings);
        this.log = log;
    }

    /**
     * A node of its own on 127.0.0.1 with free ports (the cluster knows {@link TestNode#SILENT_NODE}),
     * then {@code extra} ({@code key=value}), for {@link #start}: the same map starts it again.
     */
    static Map<String, String> settings(Path home, String... extra) throws IOException {
        Map<String, String> settings = freshSettings(home);
        settings.putAll(TestTls.settings());
        return with(settings, extra);
    }

    /**
     * As {@link #settings} but without the shared test certificates: on a fresh home the worker
     * makes its own secrets, CA and certificate, as on a new machine.
     */
    static Map<String, String> freshSettings(Path home, String... extra) throws IOException {
        Map<String, String> settings = new HashMap<>(Map.of(
                "home",
                home.toString(),
                "node",
                "127.0.0.1",
                "nodes",
                TestNode.SILENT_NODE,
                "broker.port",
                Integer.toString(TestNode.freePort()),
                "ftp.port",
                Integer.toString(TestNode.freePort()),
                "ftp.passive-ports",
                "0",
                "cluster.password",
                "test-secret",
                "ftp.connect-timeout-seconds",
                "2"));
        return with(settings, extra);
    }

    private static Map<String, String> with(Map<String, String> settings, String... extra) {
        for (String pair : extra) {
            settings.put(pair.substring(0, pair.indexOf('=')), pair.substring(pair.indexOf('=') + 1));
        }
        return settings;
    }

    /** Starts it with these settings ({@code key=value}, as TestNode's) and waits until it is ready. */
    static WorkerProcess start(Map<String, String> settings, Path log) throws Exception {
        return launch(settings, log).awaitReady();
    }

    /** Starts it and returns at once, while it still makes its secrets and starts; see {@link #awaitReady}. */
    static WorkerProcess launch(Map<String, String> settings, Path log) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(
                List.of(java, "-cp", System.getProperty("java.class.path"), WorkerProcess.class.getName()));
        settings.forEach((key, value) -> command.add(key + "=" + value));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        return new WorkerProcess(process, settings, log);
    }

    /** Waits until the worker is ready (its log says so); ends it and throws if it dies or takes too long. */
    WorkerProcess awaitReady() throws Exception {
        long deadline = System.currentTimeMillis() + 120_000;
        while (!Files.readString(log).contains("ready in")) {
            if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                process.destroyForcibly().waitFor();
                throw new IllegalStateException("the worker did not start:\n" + Files.readString(log));
            }
            Thread.sleep(50);
        }
        // Read once the worker wrote the secrets it generated.
        config = WorkerConfig.from(Settings.load(settings, Map.of()));
        return this;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> settings = new HashMap<>();
        for (String arg : args) {
            String[] pair = arg.split("=", 2);
            settings.put(pair[0], pair[1]);
        }
        // These tests kill and restart workers; none scrapes them, and no port of theirs may clash.
        settings.putIfAbsent("metrics.port", "0");
        Worker.start(WorkerConfig.creatingSecrets(Settings.load(settings, Map.of())));
        Thread.currentThread().join();
    }

    /** The node's configuration as its clients read it; only once {@link #awaitReady} returned. */
    WorkerConfig config() {
        if (config == null) {
            throw new IllegalStateException("the worker is not known to be ready yet: call awaitReady first");
        }
        return config;
    }

    /** A client of the app account, on this node's broker. */
    RforkClient client() {
        return RforkClient.connect(
                config.tls().clientUrl("tcp://" + config.node().hostForUri() + ":" + config.brokerPort()),
                config.appUser(),
                config.appPassword());
    }

    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
