package dev.rfork.cli;

import dev.rfork.client.ClientSettings;
import dev.rfork.client.RforkClient;
import dev.rfork.config.Settings;
import dev.rfork.message.Event;
import dev.rfork.message.EventType;
import dev.rfork.worker.Worker;
import dev.rfork.worker.config.WorkerConfig;
import dev.rfork.worker.spool.Spool;
import java.io.IOException;
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

@Command(
        name = "demo",
        description = "Fork a live demo program on this machine through the broker, show both "
                + "copies writing, then clean up everything.")
final class DemoCommand implements Callable<Integer> {
    @Option(
            names = "--seconds",
            defaultValue = "5",
            description = "how long to show both copies (default ${DEFAULT-VALUE})")
    int seconds;

    @Override
    public Integer call() throws Exception {
        // The demo narrates the events itself; the worker's own log lines would repeat them.
        System.setProperty("org.slf4j.simpleLogger.log.dev.rfork", "warn");
        Path home = Files.createTempDirectory("rfork-demo-");
        Map<String, String> overrides = new HashMap<>();
        overrides.put("home", home.toString());
        overrides.put("broker.port", Integer.toString(freePort(61616)));
        overrides.put("ftp.port", Integer.toString(freePort(2121)));
        // A throw-away worker: nobody scrapes it, and a node's worker may hold the metrics port.
        overrides.put("metrics.port", "0");
        Settings settings = Settings.load(overrides);
        WorkerConfig config = WorkerConfig.creatingSecrets(settings);
        say("1/5 starting a worker on the embedded defaults (broker, FTP server, CRIU) in " + home);
        long start = System.nanoTime();
        Process program = null;
        Long copy = null;
        try (Worker worker = Worker.start(config);
                RforkClient client = connect(settings)) {
            say("    worker ready in " + (System.nanoTime() - start) / 1_000_000 + " ms: broker " + config.brokerBind()
                    + ":" + config.brokerPort() + " (CORE, AMQP, STOMP), FTP " + config.node() + ":"
                    + config.ftp().port());
            Files.deleteIfExists(DemoProgram.OUTPUT);
            program = startProgram(ClientSettings.from(settings));
            say("2/5 started the demo program, a plain JVM (PID " + program.pid() + ") that writes a line a second to "
                    + DemoProgram.OUTPUT + " and after 3 lines calls SelfFork.fork(\"" + config.node() + "\")");
            say("3/5 the request goes through the broker's checkpoint queue; the worker's events:");
            Event restored = awaitRestored(client);
            if (restored == null) {
                say("the fork did not complete; see the events above");
                return ExitCodes.ERROR;
            }
            copy = restored.childPid();
            say("4/5 both copies run: the original PID " + program.pid() + " and its copy PID " + copy + ". Lines of "
                    + DemoProgram.OUTPUT + ", each copy saying which it is:");
            Thread.sleep(seconds * 1000L);
            tail(14).forEach(line -> say("    " + line));
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

    /** The demo follows its fork through the broker, as an application on the node would. */
    private static RforkClient connect(Settings settings) {
        BrokerThreads.used();
        return ClientSettings.from(settings).connect();
    }

    /** Starts the demo program with default JVM flags, as its own session, like a daemon. */
    private static Process startProgram(ClientSettings client) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        String jar = Path.of(DemoCommand.class
                        .getProtectionDomain()
                        .getCodeSource()
                        .getLocation()
                        .toURI())
                .toString();
        return new ProcessBuilder(
                        "setsid",
                        java,
                        "-cp",
                        jar,
                        DemoProgram.class.getName(),
                        client.brokerUrl(),
                        client.user(),
                        client.password(),
                        client.node())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    /** Narrates the events until the copy runs; returns the restored event, or null on failure. */
    private static Event awaitRestored(RforkClient client) {
        Event[] restored = new Event[1];
        client.watchAll(Duration.ofSeconds(90), event -> {
            say("    " + String.format("%-15s", event.type().wireName()) + describe(event));
            if (event.type() == EventType.RESTORED) {
                restored[0] = event;
            }
            return event.isTerminal();
        });
        return restored[0];
    }

    private static String describe(Event event) {
        Map<String, Long> t = event.stats();
        return switch (event.type()) {
            case DUMPED ->
                String.format(
                        "criu dump %d ms, the process was frozen %d ms, %.1f MB of images",
                        t.get("dumpMs"), t.getOrDefault("frozenMs", -1L), t.getOrDefault("imageBytes", 0L) / 1e6);
            case SHIPPED -> String.format("FTP upload %d ms (%d files)", t.get("shipMs"), t.get("files"));
            case RESTORED ->
                String.format(
                        "verified in %d ms, criu restore %d ms: the copy is PID %d",
                        t.get("verifyMs"), t.get("restoreMs"), event.childPid());
            case FAILED -> event.reason() + ": " + event.detail();
            default -> "";
        };
    }

    private List<String> tail(int lines) throws IOException {
        List<String> all = Files.readAllLines(DemoProgram.OUTPUT);
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
