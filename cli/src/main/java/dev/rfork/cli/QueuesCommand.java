package dev.rfork.cli;

import dev.rfork.client.ClientSettings;
import dev.rfork.config.Settings;
import java.util.Arrays;
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

/** Lists the node's queues with message and consumer counts, through Artemis management messages. */
@Command(name = "queues", description = "List this node's broker queues: messages waiting, consumers, dead letters.")
final class QueuesCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        print(common.settings());
        return ExitCodes.OK;
    }

    /** Prints the queue table of the broker that {@code settings} point at. */
    static void print(Settings settings) throws Exception {
        String url = ClientSettings.from(settings).brokerUrl();
        try (ServerLocator locator = ActiveMQClient.createServerLocator(url).setUseTopologyForLoadBalancing(false);
             ClientSessionFactory factory = locator.createSessionFactory();
             ClientSession session = factory.createSession(settings.get("worker.user", "worker"),
                     settings.secret("worker.password"), false, true, true, false, 1)) {
            session.start();
            ClientRequestor requestor = new ClientRequestor(session, "activemq.management");
            Object[] names = (Object[]) attribute(session, requestor, ResourceNames.BROKER, "queueNames");
            System.out.printf("%-40s %10s %10s %10s%n", "queue", "messages", "consumers", "added");
            for (Object name : Arrays.stream(names).sorted().toArray()) {
                String queue = name.toString();
                if (queue.startsWith("activemq.") || isTemporary(queue)) {
                    continue;
                }
                String resource = ResourceNames.QUEUE + queue;
                System.out.printf("%-40s %10s %10s %10s%n", queue,
                        attribute(session, requestor, resource, "messageCount"),
                        attribute(session, requestor, resource, "consumerCount"),
                        attribute(session, requestor, resource, "messagesAdded"));
            }
            requestor.close();
        }
    }

    /** Subscriptions of event followers are named by UUID; restore queues of IPv6 nodes contain dashes. */
    private static boolean isTemporary(String queue) {
        return queue.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}.*");
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
