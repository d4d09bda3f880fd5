package dev.rfork.cli;

import dev.rfork.message.Reason;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Exit statuses of the CLI, and the list each command's {@code --help} shows. Reason-specific
 * statuses come from {@code Reason.exitCode()} (docs/reasons.md).
 */
final class ExitCodes {
    static final int OK = 0;
    static final int ERROR = 1;
    /** A command line picocli could not parse (its own default for usage errors). */
    static final int USAGE = 2;

    static final int BROKER_UNAVAILABLE = 3;
    /** No outcome yet: {@code --wait} timed out, or {@code status} finds the request still going. */
    static final int TIMEOUT = 4;
    /** {@code status}: this node has no record of the request. */
    static final int UNKNOWN_REQUEST = 5;
    /** A client found no secrets on this machine: its worker has not run yet (clients never make them). */
    static final int NOT_SET_UP = 6;

    private ExitCodes() {}

    /** What each command's help lists under "Exit codes", by command name. */
    static Map<String, String> listFor(String command) {
        Map<String, String> list = new LinkedHashMap<>();
        switch (command) {
            case "fork", "migrate" -> {
                list.put("0", "the copy runs (with --wait; without it: the request was sent)");
                list.putAll(reasons());
                list.put("3", "the broker cannot be reached or refused the login");
                list.put("4", "no outcome within --timeout (the request may still complete: 'rfork status ID')");
            }
            case "status" -> {
                list.put("0", "restored (or, without an id, the list was printed)");
                list.putAll(reasons());
                list.put("4", "still in progress");
                list.put("5", "this node has no record of the request");
            }
            case "watch" -> {
                list.put("0", "the followed request was restored, or --timeout ended the watch");
                list.put("1", "the followed request failed or had no outcome within --timeout");
                list.put("3", "the broker cannot be reached or refused the login");
            }
            case "doctor" -> {
                list.put("0", "every check passed");
                list.put("1", "a check failed (each says how to fix it)");
            }
            case "worker" -> {
                list.put("0", "stopped (SIGTERM, Ctrl-C) after finishing the request in hand");
                list.put("1", "could not start: the failed checks say how to fix them");
            }
            default -> list.put("0", "done");
        }
        if (List.of("fork", "migrate", "watch", "queues", "doctor").contains(command)) {
            list.put(
                    "6",
                    "no secrets on this machine yet: start its worker first, or set the RFORK_*_PASSWORD "
                            + "variables");
        }
        list.putIfAbsent("1", "an unexpected error (set RFORK_DEBUG=1 for the stack trace)");
        list.put("2", "a bad command line");
        return sorted(list);
    }

    /** Failure statuses of a request, each with the reasons that give it. */
    private static Map<String, String> reasons() {
        return Arrays.stream(Reason.values())
                .collect(Collectors.groupingBy(
                        reason -> Integer.toString(reason.exitCode()),
                        TreeMap::new,
                        Collectors.mapping(Reason::code, Collectors.joining(", ", "failed: ", ""))));
    }

    private static Map<String, String> sorted(Map<String, String> list) {
        Map<String, String> byStatus =
                new TreeMap<>((a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b)));
        byStatus.putAll(list);
        return byStatus;
    }
}
