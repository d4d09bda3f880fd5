package dev.rfork.worker.ftp.server;

import java.util.Set;
import org.apache.ftpserver.command.Command;
import org.apache.ftpserver.ftplet.DefaultFtpReply;

/**
 * Explicit FTPS, required: before {@code AUTH TLS} the server answers only what a client needs to
 * start TLS (no USER, so no password crosses in clear), and a data connection is opened only
 * once {@code PROT P} made it private too. Apache FtpServer offers TLS but has no setting that
 * requires it; vsftpd's equivalents are {@code force_local_logins_ssl} and {@code force_local_data_ssl}.
 */
final class RequireTls {
    /** What may be said before TLS: AUTH itself, and the commands that only ask about the server. */
    private static final Set<String> IN_CLEAR = Set.of("AUTH", "FEAT", "QUIT", "SYST", "NOOP", "HELP");
    /** Commands that open a data connection, or announce one. */
    private static final Set<String> DATA =
            Set.of("PASV", "EPSV", "PORT", "EPRT", "STOR", "STOU", "APPE", "RETR", "LIST", "NLST", "MLSD");

    private RequireTls() {}

    static Command guard(String name, Command command) {
        if (IN_CLEAR.contains(name)) {
            return command;
        }
        boolean data = DATA.contains(name);
        return (session, context, request) -> {
            if (!session.isSecure()) {
                session.write(new DefaultFtpReply(530, "this server requires TLS: send AUTH TLS first"));
            } else if (data && !session.getDataConnection().isSecure()) {
                session.write(new DefaultFtpReply(521, "data connections must be private: send PBSZ 0 and PROT P"));
            } else {
                command.execute(session, context, request);
            }
        };
    }
}
