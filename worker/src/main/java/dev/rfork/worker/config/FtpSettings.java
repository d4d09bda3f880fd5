package dev.rfork.worker.config;

import dev.rfork.worker.tls.NodeTls;
import java.time.Duration;

/**
 * How nodes talk FTP: one port and one set of credentials per cluster (see docs/security.md).
 *
 * @param passivePorts range for passive data connections, e.g. {@code 31000-31099}
 * @param tls          explicit FTPS: the embedded server requires it with the node's certificate,
 *                     the client checks the server's against the CA; {@link NodeTls#OFF} for plain FTP
 */
public record FtpSettings(
        int port, String user, String password, String passivePorts, Duration connectTimeout, NodeTls tls) {
    @Override
    public String toString() {
        return "FtpSettings[port=" + port + ", user=" + user + ", password=****, passivePorts=" + passivePorts + ", "
                + (tls.enabled() ? "FTPS" : "plain text") + "]";
    }
}
