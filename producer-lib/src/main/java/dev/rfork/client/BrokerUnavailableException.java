package dev.rfork.client;

/** The node's broker cannot be reached or refused the credentials. */
public final class BrokerUnavailableException extends RuntimeException {
    public BrokerUnavailableException(String brokerUrl, Throwable cause) {
        super(
                "cannot connect to the broker at " + brokerUrl + ": " + cause.getMessage()
                        + " (is the worker running? start it with './rfork worker'; check --broker and the credentials;"
                        + " with TLS the broker's certificate must come from the CA of the truststore and name the URL's host:"
                        + " docs/security.md)",
                cause);
    }
}
