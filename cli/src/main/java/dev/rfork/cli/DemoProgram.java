package dev.rfork.cli;

import dev.rfork.client.ClientSettings;
import dev.rfork.client.ForkResult;
import dev.rfork.client.SelfFork;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;

/**
 * The demo's program: a plain JVM (default flags) that writes a line a second to
 * ~/rfork-demo.txt, forks itself through rfork after a few lines, and then goes on counting in
 * both copies, each saying which it is. Arguments: broker URL, user, password, target node,
 * and this node's address when the target is another node.
 */
public final class DemoProgram {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");
    static final Path OUTPUT = Path.of(System.getProperty("user.home"), "rfork-demo.txt");

    private DemoProgram() {}

    public static void main(String[] args) throws Exception {
        ClientSettings settings = new ClientSettings(args[0], args[1], args[2], args.length > 4 ? args[4] : args[3]);
        long pid = ProcessHandle.current().pid();
        String who = "the original (PID " + pid + ")";
        int tick = 0;
        while (tick < 3) {
            write(++tick, who);
            Thread.sleep(1000);
        }
        write(tick, who + " asks rfork for a copy of itself on " + args[3]);
        ForkResult result = SelfFork.fork(settings, args[3]);
        who = result.isParent()
                ? "the parent (PID " + pid + "; its child is PID " + result.childPid() + " on " + result.childNode()
                        + ")"
                : "the child  (PID " + pid + " in its own namespace; a copy of PID " + result.parentPid() + " from "
                        + result.parentNode() + ")";
        while (true) {
            write(++tick, who);
            Thread.sleep(1000);
        }
    }

    /** Open, append, close: no file is held open, so a copy never finds one half-written. */
    private static void write(int tick, String who) throws IOException {
        Files.writeString(
                OUTPUT,
                LocalTime.now().format(TIME) + " tick " + tick + " from " + who + "\n",
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }
}
