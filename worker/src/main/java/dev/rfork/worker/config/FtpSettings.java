package dev.rfork.worker.config;

import java.time.Duration;

/**
 * How nodes talk FTP: one port and one set of credentials per cluster (see docs/security.md).
 *
 * @param passivePorts range for passive data connections, e.g. {@code 31000-31099}
 */
public record FtpSettings(int port, String user, String password, String passivePorts, Duration connectTimeout) {
    @Override
    public String toString() {
        return "FtpSettings[port=" + port + ", user=" + user + ", password=****, passivePorts=" + passivePorts + "]";
    }
}
