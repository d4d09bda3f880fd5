package dev.rfork.cli;

import org.apache.activemq.artemis.core.remoting.impl.netty.SharedEventLoopGroup;

/**
 * Artemis's client shares its Netty threads between connections and, once the last one closes,
 * lets them wind down for 100 ms; the JVM's exit waits up to 0.3 s for threads still in native
 * code, which those are. A command that used the broker ends them before it exits (~0.3 s off
 * {@code status}, {@code watch}, {@code queues}, {@code fork --broker}). Commands that never touched
 * the broker load nothing of Artemis here.
 */
final class BrokerThreads {
    private static volatile boolean used;

    private BrokerThreads() {}

    /** Called by a command as it connects to the broker. */
    static void used() {
        used = true;
    }

    /** Ends the broker client's network threads, if any ran; only as the process exits. */
    static void endIfUsed() {
        if (used) {
            SharedEventLoopGroup.forceShutdown();
        }
    }
}
