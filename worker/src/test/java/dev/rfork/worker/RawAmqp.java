package dev.rfork.worker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import org.apache.qpid.proton.Proton;
import org.apache.qpid.proton.amqp.messaging.Source;
import org.apache.qpid.proton.amqp.messaging.Target;
import org.apache.qpid.proton.amqp.transport.DeliveryState;
import org.apache.qpid.proton.engine.Connection;
import org.apache.qpid.proton.engine.Delivery;
import org.apache.qpid.proton.engine.Sasl;
import org.apache.qpid.proton.engine.Sender;
import org.apache.qpid.proton.engine.Session;
import org.apache.qpid.proton.engine.Transport;

/**
 * An AMQP 1.0 sender that puts any bytes on the wire as a message, as an outside probe would:
 * Proton's engine does the framing and SASL, and nothing checks what the message holds.
 */
final class RawAmqp implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final Transport transport = Proton.transport();
    private final Connection connection = Proton.connection();
    private final Sender sender;
    private int tags;

    RawAmqp(int port, String user, String password, String address) throws IOException {
        socket = TestTls.socket(port);
        socket.setSoTimeout(20);
        out = socket.getOutputStream();
        in = socket.getInputStream();
        Sasl sasl = transport.sasl();
        sasl.client();
        sasl.plain(user, password);
        transport.bind(connection);
        connection.setContainer("raw-amqp-probe");
        connection.setHostname("127.0.0.1");
        connection.open();
        Session session = connection.session();
        session.open();
        sender = session.sender("raw-sender");
        Target target = new Target();
        target.setAddress(address);
        sender.setTarget(target);
        sender.setSource(new Source());
        sender.open();
        pumpUntil(() -> sender.getCredit() > 0, "credit to send to " + address);
    }

    /** Sends {@code encoded} as one message and returns the broker's answer (accepted, rejected...). */
    DeliveryState send(byte[] encoded) throws IOException {
        Delivery delivery = sender.delivery(("t" + (++tags)).getBytes(StandardCharsets.US_ASCII));
        sender.send(encoded, 0, encoded.length);
        sender.advance();
        pumpUntil(() -> delivery.getRemoteState() != null, "the broker's answer to a message");
        return delivery.getRemoteState();
    }

    private void pumpUntil(BooleanSupplier done, String what) throws IOException {
        long deadline = System.currentTimeMillis() + 10_000;
        byte[] buffer = new byte[8192];
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new IOException("no " + what + " within 10 s");
            }
            for (int pending; (pending = transport.pending()) > 0; ) {
                ByteBuffer head = transport.head();
                byte[] bytes = new byte[pending];
                head.get(bytes);
                out.write(bytes);
                transport.pop(pending);
            }
            out.flush();
            try {
                int read = in.read(buffer, 0, Math.min(buffer.length, Math.max(1, transport.capacity())));
                if (read < 0) {
                    throw new IOException("the broker closed the connection while waiting for " + what);
                }
                transport.tail().put(buffer, 0, read);
                transport.process();
            } catch (SocketTimeoutException idle) {
                // nothing to read yet: write again, check again
            }
        }
    }

    @Override
    public void close() throws IOException {
        connection.close();
        try {
            pumpUntil(() -> transport.pending() <= 0, "the close to be written");
        } finally {
            socket.close();
        }
    }
}
