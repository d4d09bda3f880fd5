package dev.rfork.worker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A bare STOMP 1.2 sender over a socket: what a client in any language does, with no rfork code.
 * Each SEND asks for a receipt, so a returned send has reached the broker.
 */
final class Stomp implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private int receipts;

    Stomp(int port, String login, String passcode) throws IOException {
        socket = TestTls.socket(port);
        socket.setSoTimeout(10_000);
        out = socket.getOutputStream();
        in = socket.getInputStream();
        frame(
                "CONNECT",
                Map.of("accept-version", "1.2", "host", "127.0.0.1", "login", login, "passcode", passcode),
                "");
        String reply = readFrame();
        if (!reply.startsWith("CONNECTED")) {
            throw new IOException("STOMP connect refused: " + reply);
        }
    }

    void send(String destination, Map<String, String> headers, String body) throws IOException {
        String receipt = "r" + (++receipts);
        var all = new LinkedHashMap<String, String>(headers);
        all.put("destination", destination);
        all.put("destination-type", "ANYCAST");
        all.put("receipt", receipt);
        frame("SEND", all, body);
        String reply = readFrame();
        if (!reply.startsWith("RECEIPT")) {
            throw new IOException("STOMP send refused: " + reply);
        }
    }

    private void frame(String command, Map<String, String> headers, String body) throws IOException {
        StringBuilder frame = new StringBuilder(command).append('\n');
        headers.forEach(
                (key, value) -> frame.append(key).append(':').append(value).append('\n'));
        frame.append('\n').append(body).append('\0');
        out.write(frame.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private String readFrame() throws IOException {
        StringBuilder frame = new StringBuilder();
        for (int c; (c = in.read()) != -1 && c != 0; ) {
            frame.append((char) c);
        }
        return frame.toString().stripLeading();
    }

    @Override
    public void close() throws IOException {
        frame("DISCONNECT", Map.of(), "");
        socket.close();
    }
}
