package dev.rfork.worker.metrics;

import org.apache.activemq.artemis.api.core.client.ActiveMQClient;
import org.apache.activemq.artemis.api.core.client.ClientMessage;
import org.apache.activemq.artemis.api.core.client.ClientRequestor;
import org.apache.activemq.artemis.api.core.client.ClientSession;
import org.apache.activemq.artemis.api.core.client.ClientSessionFactory;
import org.apache.activemq.artemis.api.core.client.ServerLocator;
import org.apache.activemq.artemis.api.core.management.ManagementHelper;
import org.apache.activemq.artemis.api.core.management.ResourceNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many messages a queue of the node's broker holds (waiting, and the one being served), asked
 * by Artemis management messages: the figure {@code rfork queues} and the console show, from an
 * embedded or a standalone broker alike. One session, opened at the first scrape and again after a
 * failure; an answer that does not come is NaN, never a failed scrape.
 */
final class QueueDepths implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(QueueDepths.class);
    private static final long TIMEOUT_MILLIS = 2_000;

    private final String url;
    private final String user;
    private final String password;
    private ServerLocator locator;
    private ClientSessionFactory factory;
    private ClientSession session;
    private ClientRequestor requestor;

    QueueDepths(String url, String user, String password) {
        this.url = url;
        this.user = user;
        this.password = password;
    }

    synchronized double count(String queue) {
        try {
            open();
            ClientMessage request = session.createMessage(false);
            ManagementHelper.putAttribute(request, ResourceNames.QUEUE + queue, "messageCount");
            ClientMessage reply = requestor.request(request, TIMEOUT_MILLIS);
            if (reply == null || !ManagementHelper.hasOperationSucceeded(reply)) {
                LOG.debug(
                        "no message count of {}: {}",
                        queue,
                        reply == null ? "no answer" : ManagementHelper.getResult(reply));
                return Double.NaN;
            }
            return ((Number) ManagementHelper.getResult(reply)).doubleValue();
        } catch (Exception e) {
            LOG.debug("no message count of {} (a new session at the next scrape): {}", queue, e.toString());
            close();
            return Double.NaN;
        }
    }

    private void open() throws Exception {
        if (session != null) {
            return;
        }
        // Only this node's broker: with the cluster's topology the locator could reach another one.
        locator = ActiveMQClient.createServerLocator(url).setUseTopologyForLoadBalancing(false);
        factory = locator.createSessionFactory();
        session = factory.createSession(user, password, false, true, true, false, 1);
        session.start();
        requestor = new ClientRequestor(session, "activemq.management");
    }

    @Override
    public synchronized void close() {
        for (AutoCloseable resource : new AutoCloseable[] {requestor, session, factory, locator}) {
            try {
                if (resource != null) {
                    resource.close();
                }
            } catch (Exception e) {
                LOG.debug("closing the management session: {}", e.toString());
            }
        }
        requestor = null;
        session = null;
        factory = null;
        locator = null;
    }
}
