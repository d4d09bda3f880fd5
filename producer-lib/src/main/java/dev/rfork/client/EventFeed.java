package dev.rfork.client;

import dev.rfork.message.Event;
import java.time.Duration;

/** Where a follower takes a request's events from: the broker's events topic, or the worker's socket. */
interface EventFeed {
    /** The next event, or null when none came within {@code wait} or the feed has ended. */
    Event next(Duration wait);

    /** True once no event can come any more (the worker closed its socket). */
    default boolean ended() {
        return false;
    }
}
