package dev.rfork.config;

import java.nio.file.Path;

/**
 * A client needs a secret that is neither set nor made yet: the machine's worker has not run.
 * Clients never make secrets, nor the node's TLS files (a client's could differ from the
 * worker's); the message says how.
 */
public final class MissingSecretException extends IllegalStateException {
    public MissingSecretException(String key) {
        this(key, null);
    }

    private MissingSecretException(String key, Path file) {
        super(
                file == null
                        ? "no " + key
                                + " on this machine yet: start its worker first ('rfork worker' makes the secrets), "
                                + "or set " + Settings.environmentName(key)
                        : "no " + file
                                + " on this machine yet: start its worker first ('rfork worker' makes the node's "
                                + "certificates), or set " + Settings.environmentName(key)
                                + " (or RFORK_TLS=off, unsafe)");
    }

    /** A TLS file of {@code HOME/tls/} (or the one the setting {@code key} names) that does not exist. */
    static MissingSecretException file(Path file, String key) {
        return new MissingSecretException(key, file);
    }
}
