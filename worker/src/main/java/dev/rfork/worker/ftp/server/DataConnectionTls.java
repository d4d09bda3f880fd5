package dev.rfork.worker.ftp.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import org.apache.ftpserver.ssl.ClientAuth;
import org.apache.ftpserver.ssl.SslConfiguration;

/**
 * FtpServer's TLS configuration, with Nagle's algorithm off on every passive data connection
 * before its handshake. FtpServer wraps the accepted socket (through {@link #getSocketFactory()})
 * and runs the handshake at once; with Nagle on, the server's handshake records after the first
 * waited for the client's delayed ACK: ~50 ms per data connection, one per file of an image
 * (14 files: most of a small image's upload). The control connection is MINA's, its TLS from
 * {@link #getSSLContext()}, unchanged.
 */
final class DataConnectionTls implements SslConfiguration {
    private final SslConfiguration delegate;

    DataConnectionTls(SslConfiguration delegate) {
        this.delegate = delegate;
    }

    @Override
    public SSLSocketFactory getSocketFactory() throws GeneralSecurityException {
        return new NoDelay(delegate.getSocketFactory());
    }

    @Override
    public SSLContext getSSLContext() throws GeneralSecurityException {
        return delegate.getSSLContext();
    }

    @Override
    public SSLContext getSSLContext(String protocol) throws GeneralSecurityException {
        return delegate.getSSLContext(protocol);
    }

    @Override
    public String[] getEnabledCipherSuites() {
        return delegate.getEnabledCipherSuites();
    }

    @Override
    public String getEnabledProtocol() {
        return delegate.getEnabledProtocol();
    }

    @Override
    public String[] getEnabledProtocols() {
        return delegate.getEnabledProtocols();
    }

    @Override
    public ClientAuth getClientAuth() {
        return delegate.getClientAuth();
    }

    /** The layering FtpServer uses turns Nagle off first; the others are the JDK's own. */
    private static final class NoDelay extends SSLSocketFactory {
        private final SSLSocketFactory delegate;

        NoDelay(SSLSocketFactory delegate) {
            this.delegate = delegate;
        }

        @Override
        public Socket createSocket(Socket socket, String host, int port, boolean autoClose) throws IOException {
            socket.setTcpNoDelay(true);
            return delegate.createSocket(socket, host, port, autoClose);
        }

        @Override
        public Socket createSocket() throws IOException {
            return delegate.createSocket();
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return delegate.createSocket(host, port);
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress local, int localPort) throws IOException {
            return delegate.createSocket(host, port, local, localPort);
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return delegate.createSocket(host, port);
        }

        @Override
        public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort) throws IOException {
            return delegate.createSocket(host, port, local, localPort);
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return delegate.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return delegate.getSupportedCipherSuites();
        }
    }
}
