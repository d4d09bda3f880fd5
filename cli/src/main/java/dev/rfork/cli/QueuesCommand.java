package dev.rfork.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rfork.client.ClientSettings;
import dev.rfork.config.Settings;
import dev.rfork.message.Messages;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.activemq.artemis.api.core.client.ActiveMQClient;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientRequestor;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.api.core.client.ClientSessionFactory;
import org.apache.activemq.artemis.api.core.client.ServerLocator;
import org.apache.activemq.artemis.api.core.management.ManagementHelper;
import org.apache.activemq.artemis.api.core.management.ResourceNames;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Lists the node's queues with message and consumer counts, through Artemis management messages. */
@Command(name = "queues", description = "List this node's broker queues: messages waiting, consumers, dead letters.")
final class QueuesCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--json", description = "print one JSON object: {queues: [{name, messages, consumers, added}]}")
    boolean json;

    /** One queue's counts. */
    record QueueCounts(String name, long messages, long consumers, long added) {}

    @Override
    public Integer call() throws Exception {
        List<QueueCounts> queues = read(common.settings());
        if (json) {
            ObjectNode result = Messages.mapper().createObjectNode();
            result.set("queues", Messages.mapper().valueToTree(queues));
            System.out.println(result);
        } else {
            print(queues);
        }
        return ExitCodes.OK;
    }

    /** Prints the queue table of the broker that {@code settings} point at. */
    static void print(Settings settings) throws Exception {
        print(read(settings));
    }

    private static void print(List<QueueCounts> queues) {
        System.out.printf("%-40s %10s %10s %10s%n", "queue", "messages", "consumers", "added");
        for (QueueCounts queue : queues) {
            System.out.printf(
                    "%-40s %10d %10d %10d%n", queue.name(), queue.messages(), queue.consumers(), queue.added());
        }
    }

    /** The counts of the broker's queues, by name, without its internal and temporary ones. */
    static List<QueueCounts> read(Settings settings) throws Exception {
        String url = ClientSettings.from(settings).brokerUrl();
        BrokerThreads.used();
        try (ServerLocator locator = ActiveMQClient.createServerLocator(url).setUseTopologyForLoadBalancing(false);
                ClientSessionFactory factory = locator.createSessionFactory();
                ClientSession session = factory.createSession(
                        settings.get("worker.user", "worker"),
                        settings.secret("worker.password"),
                        false,
                        true,
                        true,
                        false,
                        1)) {
            session.start();
            ClientRequestor requestor = new ClientRequestor(session, "activemq.management");
            Object[] names = (Object[]) attribute(session, requestor, ResourceNames.BROKER, "queueNames");
            List<QueueCounts> queues = new ArrayList<>();
            for (Object name : Arrays.stream(names).sorted().toArray()) {
                String queue = name.toString();
                if (queue.startsWith("activemq.") || isTemporary(queue)) {
                    continue;
                }
                String resource = ResourceNames.QUEUE + queue;
                queues.add(new QueueCounts(
                        queue,
                        count(session, requestor, resource, "messageCount"),
                        count(session, requestor, resource, "consumerCount"),
                        count(session, requestor, resource, "messagesAdded")));
            }
            requestor.close();
            return queues;
        }
    }

    /** Subscriptions of event followers are named by UUID; restore queues of IPv6 nodes contain dashes. */
    private static boolean isTemporary(String queue) {
        return queue.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}.*");
    }

    private static long count(ClientSession session, ClientRequestor requestor, String resource, String name)
            throws Exception {
        return ((Number) attribute(session, requestor, resource, name)).longValue();
    }

    private static Object attribute(ClientSession session, ClientRequestor requestor, String resource, String name)
            throws Exception {
        ClientMessage request = session.createMessage(false);
        ManagementHelper.putAttribute(request, resource, name);
        ClientMessage reply = requestor.request(request, 5000);
        if (reply == null || !ManagementHelper.hasOperationSucceeded(reply)) {
            throw new IllegalStateException("the broker did not answer the management request for " + resource + "."
                    + name + (reply == null ? "" : ": " + ManagementHelper.getResult(reply)));
        }
        return ManagementHelper.getResult(reply);
    }
}
