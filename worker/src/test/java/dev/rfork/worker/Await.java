package dev.rfork.worker;

import dev.rfork.client.Outcome;
import dev.rfork.worker.events.RequestLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.Callable;

/** Waiting for a condition with a deadline, the only way tests here wait (never a bare sleep). */
final class Await {
    private Await() {}

    static void until(String what, Duration timeout, Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.call()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toSeconds() + " s: " + what);
            }
            Thread.sleep(5);
        }
    }

    /**
     * How the request ended by the request log ('rfork status') of the node whose home this is;
     * a worker in a JVM of its own writes it, so the test reads the file.
     */
    static Outcome ended(Path home, UUID requestId, Duration timeout) throws Exception {
        RequestLog log = new RequestLog(home);
        try {
            until(
                    "request " + requestId + " ends",
                    timeout,
                    () -> !Outcome.known(requestId, log.events(requestId))
                            .status()
                            .equals(Outcome.IN_PROGRESS));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; its events: " + log.events(requestId), e);
        }
        return Outcome.known(requestId, log.events(requestId));
    }
}
