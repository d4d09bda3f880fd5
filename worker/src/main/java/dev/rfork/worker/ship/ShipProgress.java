package dev.rfork.worker.ship;

/**
 * Told how many bytes of image files a transport has sent, as it sends them, so that the request's
 * followers can see an upload advance. Called from the transport's upload threads, often (once per
 * buffer): an implementation must be cheap and thread-safe, and must never throw.
 */
@FunctionalInterface
public interface ShipProgress {
    ShipProgress NONE = bytes -> {};

    /** {@code bytes} more bytes of some image file have left for the target. */
    void sent(long bytes);
}
