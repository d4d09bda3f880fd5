package dev.rfork.cli;

import dev.rfork.client.ClientSettings;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.config.Settings;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.worker.Worker;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.spool.Spool;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", description = "Fork a live demo program on this machine through the broker, show both "
        + "copies writing, then clean up everything.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--seconds", defaultValue = "5", description = "how long to show both copies (default ${DEFAULT-VALUE})")
    int seconds;

    private final Path output = Path.of(System.getProperty("user.home"), "rfork-demo.txt");

    @Override
    public Integer call() throws Exception {
        // The demo narrates the events itself; the worker's own log lines would repeat them.
        System.setProperty("org.slf4j.simpleLogger.log.dev.rfork", "warn");
        Path home = Files.createTempDirectory("rfork-demo-");
        Map<String, String> overrides = new HashMap<>();
        overrides.put("home", home.toString());
        overrides.put("broker.port", Integer.toString(freePort(61616)));
        overrides.put("ftp.port", Integer.toString(freePort(2121)));
        Settings settings = Settings.load(overrides);
        WorkerConfig config = WorkerConfig.from(settings);
        say("1/5 starting a worker on the embedded defaults (broker, FTP server, CRIU) in " + home);
        long start = System.nanoTime();
        Process program = null;
        Long copy = null;
        try (Worker worker = Worker.start(config)) {
            say("    worker ready in " + (System.nanoTime() - start) / 1_000_000 + " ms: broker " + config.brokerBind() + ":"
                    + config.brokerPort() + " (CORE, AMQP, STOMP), FTP " + config.node() + ":" + config.ftp().port());
            program = startProgram(home);
            say("2/5 started the demo program, PID " + program.pid() + ", writing a line a second to " + output);
            Thread.sleep(2500);
            say("3/5 forking PID " + program.pid() + " to " + config.node() + " through the broker's checkpoint queue");
            Outcome outcome;
            try (RforkClient client = ClientSettings.from(settings).connect()) {
                outcome = client.forkAndWait(ForkRequest.of(program.pid(), config.node().canonical(), Mode.FORK),
                        Duration.ofSeconds(60), event -> say("    " + event.type().wireName()
                                + (event.stats().isEmpty() ? "" : " " + event.stats())
                                + (event.reason() == null ? "" : " " + event.reason() + ": " + event.detail())));
            }
            if (!outcome.succeeded()) {
                say("the fork failed: " + outcome.reason() + ": " + outcome.detail());
                return outcome.reason() == null ? ExitCodes.TIMEOUT : outcome.reason().exitCode();
            }
            copy = outcome.childPid();
            say("4/5 both copies run: original PID " + program.pid() + ", copy PID " + copy
                    + " (PID " + program.pid() + " inside its own PID namespace). Last lines of " + output + ",");
            say("    each naming the writer's PID namespace: the copy counts on from where the original was:");
            Thread.sleep(seconds * 1000L);
            tail(15).forEach(line -> say("    " + line));
            Map<String, Long> t = outcome.timings();
            say(String.format("    timings: request to copy running %d ms; parent frozen %d ms; dump %d ms, "
                    + "ship %d ms (%d files, %.1f MB over FTP), verify %d ms, restore %d ms",
                    t.get("requestToRunningMs"), t.get("frozenMs"), t.get("dumpMs"), t.get("shipMs"), t.get("files"),
                    t.get("shippedBytes") / 1e6, t.get("verifyMs"), t.get("restoreMs")));
            say("    the request went through these queues of the worker's broker (what './rfork queues' shows "
                    + "while a worker runs; docs/architecture.md explains each):");
            QueuesCommand.print(settings);
        } finally {
            say("5/5 cleaning up: stopping both copies and the worker");
            stop(copy);
            stop(program == null ? null : program.pid());
            Spool.deleteTree(home);
        }
        return ExitCodes.OK;
    }

    private Process startProgram(Path home) throws IOException {
        Path script = home.resolve("demo-program.sh");
        try (InputStream in = DemoCommand.class.getResourceAsStream("/demo/demo-program.sh")) {
            Files.write(script, in.readAllBytes());
        }
        Files.deleteIfExists(output);
        // setsid: the program is a session of its own, like a daemon, not a child of this terminal.
        return new ProcessBuilder("setsid", "bash", script.toString())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    private List<String> tail(int lines) throws IOException {
        List<String> all = Files.readAllLines(output);
        return all.subList(Math.max(0, all.size() - lines), all.size());
    }

    private static void stop(Long pid) {
        if (pid == null) {
            return;
        }
        ProcessHandle.of(pid).ifPresent(process -> {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        });
    }

    private static int freePort(int preferred) throws IOException {
        try (ServerSocket socket = new ServerSocket(preferred)) {
            return preferred;
        } catch (IOException busy) {
            try (ServerSocket socket = new ServerSocket(0)) {
                return socket.getLocalPort();
            }
        }
    }

    private static void say(String line) {
        System.out.println(line);
    }
}
