package dev.rfork.worker;

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

    private WorkerProcess(Process process) {
        this.process = process;
    }

    /** Starts it with these settings ({@code key=value}, as TestNode's) and waits until it is ready. */
    static WorkerProcess start(Map<String, String> settings, Path log) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                WorkerProcess.class.getName()));
        settings.forEach((key, value) -> command.add(key + "=" + value));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        WorkerProcess worker = new WorkerProcess(process);
        long deadline = System.currentTimeMillis() + 120_000;
        while (!Files.readString(log).contains("ready in")) {
            if (!process.isAlive() || System.currentTimeMillis() > deadline) {
                worker.kill();
                throw new IllegalStateException("the worker did not start:\n" + Files.readString(log));
            }
            Thread.sleep(50);
        }
        return worker;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> settings = new HashMap<>();
        for (String arg : args) {
            String[] pair = arg.split("=", 2);
            settings.put(pair[0], pair[1]);
        }
        // These tests kill and restart workers; none scrapes them, and no port of theirs may clash.
        settings.putIfAbsent("metrics.port", "0");
        Worker.start(WorkerConfig.from(Settings.load(settings, Map.of())));
        Thread.currentThread().join();
    }

    void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        kill();
    }
}
