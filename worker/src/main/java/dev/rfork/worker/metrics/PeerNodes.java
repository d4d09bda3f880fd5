package dev.rfork.worker.metrics;

import dev.rfork.address.NodeAddress;
import dev.rfork.message.Messages;
import dev.rfork.worker.config.WorkerConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Asks other nodes what they are ({@code GET /node}, {@link NodeInfo}) the way {@code rfork
 * doctor} and a fork request do: over HTTPS, the peer's certificate checked against the CA, as
 * the admin. What a peer said is kept a few minutes: its CPU and its CRIU do not change between
 * two requests, and a fork should not wait for the question each time.
 */
public final class PeerNodes {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final Duration KEEP = Duration.ofMinutes(5);
    /** A peer that could not say is not asked again for a while: a request must not wait on it each time. */
    private static final Duration KEEP_SILENCE = Duration.ofSeconds(30);
    /** A fork asks with a shorter patience than the doctor: the question is a courtesy, not a condition. */
    private static final Duration FORK_TIMEOUT = Duration.ofSeconds(2);

    private final WorkerConfig config;
    private final Map<NodeAddress, Known> known = new ConcurrentHashMap<>();

    public PeerNodes(WorkerConfig config) {
        this.config = config;
    }

    /** What a peer answered: its description (HTTP 200), or the status and body of another answer. */
    public record Answer(URI uri, int status, NodeInfo info, String problem) {}

    /** @param info null when the peer could not say */
    private record Known(NodeInfo info, long at) {
        boolean fresh() {
            return System.nanoTime() - at < (info == null ? KEEP_SILENCE : KEEP).toNanos();
        }
    }

    /** The peer's description, from the last few minutes' answer or asked now; empty when it cannot say. */
    public Optional<NodeInfo> info(NodeAddress peer) {
        Known cached = known.get(peer);
        if (cached != null && cached.fresh()) {
            return Optional.ofNullable(cached.info);
        }
        NodeInfo info = null;
        try {
            info = ask(peer, FORK_TIMEOUT).info();
        } catch (IOException e) {
            // not answering: not judged (see RequestValidator.compatible)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        known.put(peer, new Known(info, System.nanoTime()));
        return Optional.ofNullable(info);
    }

    /**
     * Which of {@code files} are missing on the peer or of another size there; empty when the peer
     * cannot say (not answering, an older rfork, metrics off), so the caller does not judge it.
     */
    public Optional<NodeFiles.Answer> files(NodeAddress peer, List<NodeFiles.Held> files) {
        Known cached = known.get(peer);
        if (cached != null && cached.info == null && cached.fresh()) {
            return Optional.empty(); // it did not answer a moment ago: no second wait
        }
        try {
            HttpResponse<String> response = client(FORK_TIMEOUT)
                    .send(
                            request(peer, NodeFiles.PATH, FORK_TIMEOUT)
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString(
                                            Messages.toJson(new NodeFiles.Question(files))))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200
                    ? Optional.of(Messages.mapper().readValue(response.body(), NodeFiles.Answer.class))
                    : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private HttpClient client(Duration timeout) {
        HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(timeout);
        if (config.tls().enabled()) {
            // The peer's certificate checked against the cluster's CA, and its name (the JDK checks it).
            client.sslContext(config.tls().trust().sslContext());
        }
        return client.build();
    }

    private HttpRequest.Builder request(NodeAddress peer, String path, Duration timeout) {
        int port = config.metricsPort() != 0 ? config.metricsPort() : 9464;
        URI uri = URI.create(config.tls().httpScheme() + "://" + peer.hostForUri() + ":" + port + path);
        String login = Base64.getEncoder()
                .encodeToString(
                        (WorkerConfig.ADMIN_USER + ":" + config.adminPassword()).getBytes(StandardCharsets.UTF_8));
        return HttpRequest.newBuilder(uri).timeout(timeout).header("Authorization", "Basic " + login);
    }

    /** Asks the peer now; an answer that is not its description says why in {@code problem}. */
    public Answer ask(NodeAddress peer) throws IOException, InterruptedException {
        return ask(peer, TIMEOUT);
    }

    private Answer ask(NodeAddress peer, Duration timeout) throws IOException, InterruptedException {
        HttpRequest request = request(peer, NodeInfo.PATH, timeout).build();
        URI uri = request.uri();
        HttpResponse<String> response = client(timeout).send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            return new Answer(uri, response.statusCode(), null, "HTTP " + response.statusCode());
        }
        try {
            return new Answer(uri, 200, Messages.mapper().readValue(response.body(), NodeInfo.class), null);
        } catch (IOException e) {
            return new Answer(uri, 200, null, "what is not a node's description: " + e.getMessage());
        }
    }
}
