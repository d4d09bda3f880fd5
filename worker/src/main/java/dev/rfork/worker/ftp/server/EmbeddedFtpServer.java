package dev.rfork.worker.ftp.server;

import dev.rfork.config.TlsFiles;
import dev.rfork.worker.config.FtpSettings;
import dev.rfork.worker.spool.ReceivedFiles;
import java.nio.file.Path;
import java.util.List;
import org.apache.ftpserver.ConnectionConfigFactory;
import org.apache.ftpserver.DataConnectionConfigurationFactory;
import org.apache.ftpserver.FtpServer;
import org.apache.ftpserver.FtpServerFactory;
import org.apache.ftpserver.command.Command;
import org.apache.ftpserver.command.CommandFactory;
import org.apache.ftpserver.command.CommandFactoryFactory;
import org.apache.ftpserver.filesystem.nativefs.NativeFileSystemFactory;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.UserManager;
import org.apache.ftpserver.listener.ListenerFactory;
import org.apache.ftpserver.ssl.SslConfigurationFactory;
import org.apache.ftpserver.usermanager.PropertiesUserManagerFactory;
import org.apache.ftpserver.usermanager.impl.BaseUser;
import org.apache.ftpserver.usermanager.impl.ConcurrentLoginPermission;
import org.apache.ftpserver.usermanager.impl.WritePermission;
import org.apache.mina.transport.socket.SocketSessionConfig;

/**
 * The node's FTP server (Apache FtpServer): one user, with credentials, whose root is the
 * spool's inbox. Anonymous login is off; the user cannot leave its root; data connections are
 * passive only; wrong passwords cost time per address ({@link LoginThrottle}); with TLS on (the
 * default) nothing but AUTH TLS is served in clear ({@link RequireTls}). Uploads are hashed as
 * they are written ({@link #received()}), so the restore need not read them again.
 */
public final class EmbeddedFtpServer implements AutoCloseable {
    // Several nodes may ship here at once, each over up to FtpTransport.MAX_CONNECTIONS sessions.
    private static final int MAX_SESSIONS = 32;
    /** A wrong password is answered this late, and the connection closed after this many. */
    static final int LOGIN_FAILURE_DELAY_MS = 500;

    static final int MAX_LOGIN_FAILURES = 3;

    private final FtpServer server;
    private final ReceivedFiles received;

    private EmbeddedFtpServer(FtpServer server, ReceivedFiles received) {
        this.server = server;
        this.received = received;
    }

    public static EmbeddedFtpServer start(String bindAddress, FtpSettings settings, Path root) throws FtpException {
        FtpServerFactory factory = new FtpServerFactory();
        ListenerFactory listener = new ListenerFactory();
        listener.setServerAddress(bindAddress);
        listener.setPort(settings.port());
        if (settings.tls().enabled()) {
            // Explicit FTPS (AUTH TLS on the one port); RequireTls refuses everything in clear.
            SslConfigurationFactory ssl = new SslConfigurationFactory();
            ssl.setKeystoreFile(settings.tls().keystore().toFile());
            ssl.setKeystorePassword(settings.tls().keystorePassword());
            ssl.setKeystoreType(TlsFiles.STORE_TYPE);
            ssl.setSslProtocol("TLSv1.3", "TLSv1.2");
            listener.setSslConfiguration(new DataConnectionTls(ssl.createSslConfiguration()));
            listener.setImplicitSsl(false);
        }
        DataConnectionConfigurationFactory data = new DataConnectionConfigurationFactory();
        data.setPassivePorts(settings.passivePorts());
        data.setPassiveAddress(bindAddress);
        // Passive only (FtpConnection uses passive mode): with PORT/EPRT any client could make
        // this server connect to any host and port ("FTP bounce"). The IP check is a second lock.
        data.setActiveEnabled(false);
        data.setActiveIpCheck(true);
        listener.setDataConnectionConfiguration(data.createDataConnectionConfiguration());
        factory.addListener("default", listener.createListener());

        ConnectionConfigFactory connections = new ConnectionConfigFactory();
        connections.setAnonymousLoginEnabled(false);
        connections.setMaxLoginFailures(MAX_LOGIN_FAILURES);
        connections.setLoginFailureDelay(LOGIN_FAILURE_DELAY_MS);
        connections.setMaxLogins(MAX_SESSIONS);
        factory.setConnectionConfig(connections.createConnectionConfig());
        CommandFactoryFactory commands = new CommandFactoryFactory();
        commands.addCommand("STOR", new BlockStor());
        commands.addCommand("FEAT", new Feat());
        factory.setCommandFactory(guarded(
                commands.createCommandFactory(),
                new LoginThrottle(),
                settings.tls().enabled()));
        ReceivedFiles received = new ReceivedFiles();
        factory.setFileSystem(new DigestingFileSystemFactory(new NativeFileSystemFactory(), received));

        UserManager users = new PropertiesUserManagerFactory().createUserManager();
        BaseUser user = new BaseUser();
        user.setName(settings.user());
        user.setPassword(settings.password());
        user.setHomeDirectory(root.toAbsolutePath().toString());
        user.setMaxIdleTime(300);
        user.setAuthorities(List.of(new WritePermission(), new ConcurrentLoginPermission(MAX_SESSIONS, MAX_SESSIONS)));
        users.save(user);
        factory.setUserManager(users);

        FtpServer server = factory.createServer();
        server.start();
        return new EmbeddedFtpServer(server, received);
    }

    /** Size and SHA-256 of each file as it was uploaded here, for the restore's verification. */
    public ReceivedFiles received() {
        return received;
    }

    /**
     * FtpServer's commands, PASS taking its turn per address ({@link LoginThrottle}), each turning
     * Nagle off on its control connection before it runs. MINA leaves Nagle on and FtpServer has
     * no setting for it, yet a transfer gets two replies in a row (150, then 226): the 226 then
     * waited for the client's delayed ACK of the 150, 40 ms per file on Linux.
     */
    private static CommandFactory guarded(CommandFactory commands, LoginThrottle throttle, boolean requireTls) {
        return name -> {
            Command found = commands.getCommand(name);
            if (found == null) {
                return null; // FtpServer answers 502 for unknown commands
            }
            Command throttled = "PASS".equals(name) ? throttle.guard(found) : found;
            Command command = requireTls ? RequireTls.guard(name, throttled) : throttled;
            return (session, context, request) -> {
                if (session.getConfig() instanceof SocketSessionConfig socket) {
                    socket.setTcpNoDelay(true);
                }
                command.execute(session, context, request);
            };
        };
    }

    @Override
    public void close() {
        server.stop();
    }
}
