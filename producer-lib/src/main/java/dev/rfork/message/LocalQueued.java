package dev.rfork.message;

import java.util.UUID;

/**
 * The worker's first answer on its local socket once the request is on {@code checkpoint}: the
 * request id, and the node that serves it (the source its events come from). A request refused
 * before that gets a {@code failed} {@link Event} instead (docs/local-socket.md).
 */
public record LocalQueued(UUID queued, String node) {}
