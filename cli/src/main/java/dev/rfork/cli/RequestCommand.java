package dev.rfork.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rfork.client.BrokerUnavailableException;
import dev.rfork.client.ClientSettings;
import dev.rfork.client.Outcome;
import dev.rfork.client.RequestSender;
import dev.rfork.client.WorkerSocket;
import dev.rfork.config.Settings;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Messages;
import dev.rfork.message.Mode;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What {@code fork} and {@code migrate} share: build the request, send it, maybe follow it. */
abstract class RequestCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--pid", required = true, description = "the process (tree root) to copy")
    long pid;

    @Option(
            names = "--to",
            required = true,
            split = ",",
            paramLabel = "NODE[,NODE...]",
            description = "the node that runs the copy, e.g. 127.0.0.1; a fork may name several"
                    + " (10.0.0.5,10.0.0.6): one dump, a copy on each, each with its own outcome")
    List<String> targets;

    @Option(names = "--wait", description = "follow the request's events to its end; exit 0 only when restored")
    boolean await;

    @Option(
            names = "--timeout",
            defaultValue = "60",
            description = "seconds to wait with --wait (default ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--json", description = "print one JSON object (with --wait: the outcome) instead of text")
    boolean json;

    @Option(
            names = "--compress",
            negatable = true,
            description = "send the images compressed (zstd) to a node across a slow link, or not"
                    + " (--no-compress); default: the source node's 'compress' setting (off)")
    Boolean compress;

    abstract Mode mode();

    @Override
    public Integer call() {
        ForkRequest request = ForkRequest.toEach(pid, targets, mode()).withCompress(compress);
        PrintStream out = System.out;
        // Under --json, stdout carries the one JSON object: the rest goes to stderr.
        PrintStream info = json ? System.err : out;
        if (await) {
            // At once, before the broker connection (most of the CLI's own time): the id to follow
            // or look up; a request that cannot be valid is refused before it.
            request.validate();
            info.println("request " + request.requestId());
        }
        try (RequestSender client = connect()) {
            if (!await) {
                client.submit(request);
                out.println(
                        json
                                ? Messages.mapper()
                                        .createObjectNode()
                                        .put("requestId", request.requestId().toString())
                                : request.requestId().toString());
                return ExitCodes.OK;
            }
            ProgressLine progress = new ProgressLine(info, Terminal.is(json ? Terminal.STDERR : Terminal.STDOUT));
            long start = System.nanoTime();
            if (targets.size() > 1) {
                List<Outcome> outcomes = client.forkAndWaitAll(request, Duration.ofSeconds(timeoutSeconds), progress);
                progress.end();
                return finishEach(out, outcomes, (System.nanoTime() - start) / 1_000_000);
            }
            Outcome outcome = client.forkAndWait(request, Duration.ofSeconds(timeoutSeconds), progress);
            progress.end();
            return finish(out, outcome, (System.nanoTime() - start) / 1_000_000);
        } catch (BrokerUnavailableException e) {
            System.err.println("rfork: " + e.getMessage());
            return ExitCodes.BROKER_UNAVAILABLE;
        }
    }

    /**
     * The node's worker through its local socket when it listens in this home (milliseconds, no
     * TLS handshake or login), else the broker; {@code --broker} always takes the broker.
     */
    private RequestSender connect() {
        Settings settings = common.settings();
        Optional<WorkerSocket> local = common.broker == null ? WorkerSocket.connect(settings.home()) : Optional.empty();
        if (local.isPresent()) {
            return local.get();
        }
        BrokerThreads.used();
        return ClientSettings.from(settings).connect();
    }

    /** Several targets: one line (or one JSON object of an array) per target; 0 only when every copy runs. */
    private int finishEach(PrintStream out, List<Outcome> outcomes, long elapsedMillis) {
        if (json) {
            ArrayNode results = Messages.mapper().createArrayNode();
            outcomes.forEach(outcome -> results.add(withWaited(OutcomeJson.of(outcome, mode(), pid), elapsedMillis)));
            out.println(results.toString());
        } else {
            outcomes.forEach(outcome -> {
                out.print(outcome.node() + ": ");
                describe(out, outcome, elapsedMillis);
            });
        }
        return outcomes.stream()
                .mapToInt(outcome -> OutcomeJson.exitCode(outcome, ExitCodes.TIMEOUT))
                .filter(code -> code != ExitCodes.OK)
                .findFirst()
                .orElse(ExitCodes.OK);
    }

    private static ObjectNode withWaited(ObjectNode result, long elapsedMillis) {
        ((ObjectNode) result.get("timings")).put("waitedMs", elapsedMillis);
        return result;
    }

    private int finish(PrintStream out, Outcome outcome, long elapsedMillis) {
        if (json) {
            out.println(withWaited(OutcomeJson.of(outcome, mode(), pid), elapsedMillis)
                    .toString());
        } else {
            describe(out, outcome, elapsedMillis);
        }
        return OutcomeJson.exitCode(outcome, ExitCodes.TIMEOUT);
    }

    private void describe(PrintStream out, Outcome outcome, long elapsedMillis) {
        if (outcome.succeeded()) {
            out.println("restored: PID " + pid + " now also runs as PID " + outcome.childPid() + " on " + outcome.node()
                    + (mode() == Mode.MIGRATE ? " (the original has ended)" : "") + " in "
                    + Human.millis(elapsedMillis));
        } else if (Outcome.TIMEOUT.equals(outcome.status())) {
            out.println("no outcome within " + timeoutSeconds + " s (request " + outcome.requestId()
                    + " may still complete; 'rfork status " + outcome.requestId() + "' tells later)");
        } else {
            out.println("failed: " + outcome.reason() + ": " + outcome.detail());
        }
    }
}
