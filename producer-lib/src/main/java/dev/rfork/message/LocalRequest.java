package dev.rfork.message;

/**
 * What a client on the node hands its worker through the worker's local socket
 * ({@code HOME/worker.sock}): one line of JSON, then the worker answers with lines of its own
 * (docs/local-socket.md).
 *
 * @param followMs how long the worker streams the request's events back; 0 queues it and ends
 * @param request  the request, exactly as it would be sent to {@code checkpoint}
 */
public record LocalRequest(int version, long followMs, ForkRequest request) {
    public static final int VERSION = 1;

    public static LocalRequest of(ForkRequest request, long followMs) {
        return new LocalRequest(VERSION, followMs, request);
    }
}
