package dev.rfork.worker.serve;

/** Serves one message; throws a {@code MessageException} whose reason decides its fate. */
@FunctionalInterface
public interface Handler {
    void handle(String body, Delivery delivery) throws Exception;
}
