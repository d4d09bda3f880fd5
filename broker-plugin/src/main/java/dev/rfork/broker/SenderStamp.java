package dev.rfork.broker;

import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.server.ServerSession;
import org.apache.activemq.artemis.core.server.plugin.ActiveMQServerPlugin;
import org.apache.activemq.artemis.core.transaction.Transaction;

/**
 * Writes into every message the broker account that sent it, replacing whatever the client
 * put there. The worker grants forks by that account. Artemis' own populate-validated-user
 * does the same for CORE and STOMP but not for AMQP messages, and a client could then set the
 * property itself; this works for every protocol.
 */
public final class SenderStamp implements ActiveMQServerPlugin {
    /** The message property that names the sending account. */
    public static final String PROPERTY = "rforkSender";
    private static final SimpleString KEY = SimpleString.of(PROPERTY);

    @Override
    public void beforeSend(ServerSession session, Transaction tx, Message message, boolean direct,
                           boolean noAutoCreateQueue) {
        String user = session.getValidatedUser();
        if (user == null) {
            message.removeProperty(KEY);
        } else {
            message.putStringProperty(KEY, SimpleString.of(user));
        }
    }
}
