package dev.rfork.cli;

import dev.rfork.client.Outcome;
import dev.rfork.message.Event;
import dev.rfork.message.Messages;
import dev.rfork.worker.events.RequestLog;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * How a request went, after the fact, from the events this node's worker recorded. Events are
 * cluster-wide, so any node can answer for any request made while its worker ran.
 */
@Command(
        name = "status",
        description = "How a request went (restored, failed, in-progress), from the events "
                + "this node's worker recorded; without an id, the latest requests.")
final class StatusCommand implements Callable<Integer> {
    private static final Duration QUIET = Duration.ofMinutes(10);

    @Mixin
    CommonOptions common;

    @Parameters(arity = "0..1", paramLabel = "REQUEST_ID", description = "the id 'rfork fork' printed")
    UUID requestId;

    @Option(names = "--json", description = "print one JSON object (a list: one per line), like 'fork --wait --json'")
    boolean json;

    @Option(names = "--events", description = "with REQUEST_ID: also print every event (JSON lines)")
    boolean allEvents;

    @Option(
            names = "--last",
            defaultValue = "20",
            description = "without REQUEST_ID: how many (default ${DEFAULT-VALUE})")
    int last;

    @Override
    public Integer call() throws IOException {
        RequestLog log = new RequestLog(common.settings().home());
        PrintStream out = System.out;
        if (requestId == null) {
            if (last < 1) {
                throw new IllegalArgumentException("--last must be 1 or more, got " + last);
            }
            for (UUID id : log.recent(last)) {
                List<Event> events = log.events(id);
                if (!events.isEmpty()) {
                    print(out, Outcome.known(id, events));
                }
            }
            return ExitCodes.OK;
        }
        List<Event> events = log.events(requestId);
        if (events.isEmpty()) {
            System.err.println("rfork: no event of request " + requestId + " was recorded on this node (" + log.dir()
                    + "): check the id, or ask a node whose worker ran while the request was served");
            return ExitCodes.UNKNOWN_REQUEST;
        }
        if (allEvents) {
            events.forEach(event -> out.println(Messages.toJson(event)));
        }
        Outcome outcome = Outcome.known(requestId, events);
        print(out, outcome);
        return OutcomeJson.exitCode(outcome, ExitCodes.TIMEOUT);
    }

    /**
     * A request quiet for longer than any restore may take probably ended while this node's worker
     * was not listening: say so, rather than let "in progress" stand for ever.
     */
    private static String stale(Event latest) {
        Duration quiet = Duration.between(latest.at(), Instant.now());
        return quiet.compareTo(QUIET) < 0
                ? ""
                : " (nothing heard for " + quiet.toMinutes() + " min: this node may "
                        + "have missed its end; ask 'rfork status' on "
                        + (latest.childNode() != null ? latest.childNode() : "the target node") + ")";
    }

    private void print(PrintStream out, Outcome outcome) {
        Event first = outcome.events().get(0);
        Event latest = outcome.events().get(outcome.events().size() - 1);
        if (json) {
            out.println(OutcomeJson.of(outcome, first.mode(), first.pid())
                    .put("lastEvent", latest.type().wireName())
                    .put("lastEventAt", latest.at().toString()));
            return;
        }
        String what = (first.mode() == null ? "request" : first.mode().wireName()) + " of PID " + first.pid() + " from "
                + first.node();
        String state = switch (outcome.status()) {
            case Outcome.RESTORED -> "restored: copy PID " + outcome.childPid() + " on " + outcome.node();
            case Outcome.FAILED -> "failed: " + outcome.reason() + ": " + outcome.detail();
            default -> "in progress: " + latest.type().wireName() + " on " + latest.node() + stale(latest);
        };
        out.println(outcome.requestId() + "  " + latest.at() + "  " + what + "  " + state);
    }
}
