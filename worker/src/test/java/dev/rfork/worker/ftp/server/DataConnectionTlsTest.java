package dev.rfork.worker.ftp.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.apache.ftpserver.ssl.ClientAuth;
import org.apache.ftpserver.ssl.SslConfiguration;
import org.junit.jupiter.api.Test;

class DataConnectionTlsTest {
    @Test
    void aDataConnectionHasNagleOffBeforeItIsWrappedForItsHandshake() throws Exception {
        SslConfiguration tls = new DataConnectionTls(new JdkDefault());
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket client = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
                Socket accepted = listener.accept()) {
            assertThat(accepted.getTcpNoDelay()).isFalse();

            Socket wrapped = tls.getSocketFactory()
                    .createSocket(accepted, accepted.getInetAddress().getHostAddress(), accepted.getPort(), true);

            assertThat(wrapped).isInstanceOf(SSLSocket.class);
            assertThat(accepted.getTcpNoDelay()).isTrue();
            assertThat(tls.getSSLContext()).isSameAs(SSLContext.getDefault());
        }
    }

    /** What FtpServer's configuration gives, reduced to the JDK's defaults. */
    private static final class JdkDefault implements SslConfiguration {
        @Override
        public SSLSocketFactory getSocketFactory() throws GeneralSecurityException {
            return SSLContext.getDefault().getSocketFactory();
        }

        @Override
        public SSLContext getSSLContext() throws GeneralSecurityException {
            return SSLContext.getDefault();
        }

        @Override
        public SSLContext getSSLContext(String protocol) throws GeneralSecurityException {
            return SSLContext.getDefault();
        }

        @Override
        public String[] getEnabledCipherSuites() {
            return null;
        }

        @Override
        public String getEnabledProtocol() {
            return "TLSv1.3";
        }

        @Override
        public ClientAuth getClientAuth() {
            return ClientAuth.NONE;
        }
    }
}
