package dev.rfork.worker.ship;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.EventType;
import dev.rfork.worker.events.RequestEvents;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the bytes a transport reports into {@code shipping} events for one target: the first as
 * soon as bytes move, then at most one per {@link #EVERY}, so followers see the upload advance
 * without the broker carrying an event per buffer. Progress is best effort: a publish that fails
 * is logged and never fails the upload it describes.
 */
final class ShippingEvents implements ShipProgress {
    static final Duration EVERY = Duration.ofMillis(250);
    private static final Logger LOG = LoggerFactory.getLogger(ShippingEvents.class);

    private final RequestEvents events;
    private final NodeAddress target;
    private final ImageSource images;
    private final long start = System.nanoTime();
    private final AtomicLong sent = new AtomicLong();
    /** When the next event may go out (System.nanoTime()); Long.MAX_VALUE once the shipment ended. */
    private final AtomicLong nextAt = new AtomicLong(start);

    private volatile long total = -1;

    ShippingEvents(RequestEvents events, NodeAddress target, ImageSource images) {
        this.events = events;
        this.target = target;
        this.images = images;
    }

    @Override
    public void sent(long bytes) {
        long done = sent.addAndGet(bytes);
        long now = System.nanoTime();
        long next = nextAt.get();
        // One thread wins the slot; the others go on uploading.
        if (now - next >= 0 && next != Long.MAX_VALUE && nextAt.compareAndSet(next, now + EVERY.toNanos())) {
            publish(done, now);
        }
    }

    /** The shipment has ended: its own event follows, no progress may come after it. */
    void end() {
        nextAt.set(Long.MAX_VALUE);
    }

    private void publish(long done, long now) {
        Map<String, Long> stats = new LinkedHashMap<>();
        stats.put("shippedBytes", done);
        stats.put("shipMs", (now - start) / 1_000_000);
        long all = total();
        if (all >= 0) {
            stats.put("totalBytes", all);
        }
        try {
            events.publish(EventType.SHIPPING, event -> event.withStats(stats).withDetail("uploading to " + target));
        } catch (RuntimeException e) {
            LOG.debug("[{}] progress not published: {}", events.requestId(), e.toString());
        }
    }

    /** The size of every image, once the dump has ended (while CRIU writes, nobody knows it yet). */
    private long total() {
        if (total < 0 && images.complete()) {
            try {
                long sum = 0;
                for (Path file : images.awaitFiles()) {
                    sum += Files.size(file);
                }
                total = sum;
            } catch (IOException | RuntimeException e) {
                LOG.debug("[{}] cannot size the images in {}: {}", events.requestId(), images.dir(), e.toString());
            }
        }
        return total;
    }
}
