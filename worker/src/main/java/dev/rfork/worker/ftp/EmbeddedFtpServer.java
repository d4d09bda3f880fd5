package dev.rfork.worker.ftp;

import java.nio.file.Path;
import java.util.List;
import org.apache.ftpserver.ConnectionConfigFactory;
import org.apache.ftpserver.DataConnectionConfigurationFactory;
import org.apache.ftpserver.FtpServer;
import org.apache.ftpserver.FtpServerFactory;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.UserManager;
import org.apache.ftpserver.listener.ListenerFactory;
import org.apache.ftpserver.usermanager.PropertiesUserManagerFactory;
import org.apache.ftpserver.usermanager.impl.BaseUser;
import org.apache.ftpserver.usermanager.impl.ConcurrentLoginPermission;
import org.apache.ftpserver.usermanager.impl.WritePermission;

/**
 * The node's FTP server (Apache FtpServer): one user, with credentials, whose root is the
 * spool's inbox. Anonymous login is off; the user cannot leave its root.
 */
public final class EmbeddedFtpServer implements AutoCloseable {
    private final FtpServer server;

    private EmbeddedFtpServer(FtpServer server) {
        this.server = server;
    }

    public static EmbeddedFtpServer start(String bindAddress, FtpSettings settings, Path root) throws FtpException {
        FtpServerFactory factory = new FtpServerFactory();
        ListenerFactory listener = new ListenerFactory();
        listener.setServerAddress(bindAddress);
        listener.setPort(settings.port());
        DataConnectionConfigurationFactory data = new DataConnectionConfigurationFactory();
        data.setPassivePorts(settings.passivePorts());
        data.setPassiveAddress(bindAddress);
        listener.setDataConnectionConfiguration(data.createDataConnectionConfiguration());
        factory.addListener("default", listener.createListener());

        ConnectionConfigFactory connections = new ConnectionConfigFactory();
        connections.setAnonymousLoginEnabled(false);
        connections.setMaxLoginFailures(3);
        connections.setLoginFailureDelay(500);
        factory.setConnectionConfig(connections.createConnectionConfig());

        UserManager users = new PropertiesUserManagerFactory().createUserManager();
        BaseUser user = new BaseUser();
        user.setName(settings.user());
        user.setPassword(settings.password());
        user.setHomeDirectory(root.toAbsolutePath().toString());
        user.setMaxIdleTime(300);
        user.setAuthorities(List.of(new WritePermission(), new ConcurrentLoginPermission(16, 16)));
        users.save(user);
        factory.setUserManager(users);

        FtpServer server = factory.createServer();
        server.start();
        return new EmbeddedFtpServer(server);
    }

    @Override
    public void close() {
        server.stop();
    }
}
