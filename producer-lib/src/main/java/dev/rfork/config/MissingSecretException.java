package dev.rfork.config;

/**
 * A client needs a secret that is neither set nor made yet: the machine's worker has not run.
 * Clients never make secrets (a client's could differ from the worker's); the message says how.
 */
public final class MissingSecretException extends IllegalStateException {
    public MissingSecretException(String key) {
        super("no " + key + " on this machine yet: start its worker first ('rfork worker' makes the secrets), "
                + "or set " + Settings.environmentName(key));
    }
}
