package dev.rfork.worker;

import dev.rfork.client.ClientSettings;
import dev.rfork.client.ForkResult;
import dev.rfork.client.Outcome;
import dev.rfork.client.RforkClient;
import dev.rfork.client.SelfFork;
import dev.rfork.client.SelfForkException;
import dev.rfork.message.ForkRequest;
import dev.rfork.message.Mode;
import dev.rfork.message.Reason;
import java.time.Duration;

/**
 * An application that forks itself, started by the tests as a plain {@code java} process with
 * default flags. Arguments: broker URL, user, password, target node, fork|migrate|fork-twice
 * (the copy forks itself again: from inside its own PID namespace), and this node's address
 * (default 127.0.0.1). It needs nothing but rfork's client, so the cluster tests run it too.
 */
public final class SelfForkApp {
    private SelfForkApp() {}

    public static void main(String[] args) throws Exception {
        ClientSettings settings =
                new ClientSettings(args[0], args[1], args[2], args.length > 5 ? args[5] : "127.0.0.1");
        String role;
        // The application's own broker connection, open across the fork like any app's would be.
        try (RforkClient own = settings.connect()) {
            try {
                ForkResult result = "migrate".equals(args[4])
                        ? SelfFork.migrate(settings, args[3])
                        : SelfFork.fork(settings, args[3]);
                role = result.isParent() ? "parent" : "child";
                System.out.println(role + " request=" + result.requestId() + " parentPid=" + result.parentPid()
                        + " childPid=" + result.childPid() + " childNode=" + result.childNode());
                if (role.equals("child") && "fork-twice".equals(args[4])) {
                    ForkResult again = SelfFork.fork(settings, args[3]);
                    role = again.isParent() ? "again-parent" : "again-child";
                    System.out.println(role + " request=" + again.requestId() + " parentPid=" + again.parentPid()
                            + " childPid=" + again.childPid() + " childNode=" + again.childNode());
                    role = again.isParent() ? "child" : "again-child";
                }
            } catch (SelfForkException e) {
                role = "failed";
                System.out.println("failed reason=" + e.reason() + " " + e.getMessage());
            }
            // A copy's connection is dead (CRIU restores TCP connections closed): only the original asks.
            if (role.equals("parent") || role.equals("failed")) {
                Outcome answer = own.forkAndWait(
                        ForkRequest.of(4_000_000, "127.0.0.1", Mode.FORK), Duration.ofSeconds(30), event -> {});
                System.out.println(role + " connection "
                        + (answer.reason() == Reason.NO_SUCH_PROCESS ? "works" : "broken: " + answer.status()));
            }
            for (int tick = 1; ; tick++) {
                System.out.println("alive " + role + " " + tick);
                Thread.sleep(100);
            }
        }
    }
}
