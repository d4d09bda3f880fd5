package dev.rfork.broker;

import java.util.UUID;
import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.server.ServerSession;
import org.apache.activemq.artemis.core.server.plugin.ActiveMQServerPlugin;
import org.apache.activemq.artemis.core.transaction.Transaction;

/**
 * Writes into every message the broker account that sent it and an id of its own, replacing
 * whatever the client put there. The worker grants forks by that account, and gives a request
 * id to the first message that uses it (a redelivery keeps the stamp). Artemis' own
 * populate-validated-user does the first for CORE and STOMP but not for AMQP messages, and a
 * client could then set the property itself; STOMP and AMQP messages may carry no message id
 * at all. This works for every protocol.
 */
public final class SenderStamp implements ActiveMQServerPlugin {
    /** The message property that names the sending account. */
    public static final String PROPERTY = "rforkSender";
    /** The message property with an id the broker gave the message when it was sent. */
    public static final String MESSAGE_ID = "rforkMessageId";
    private static final SimpleString KEY = SimpleString.of(PROPERTY);
    private static final SimpleString ID_KEY = SimpleString.of(MESSAGE_ID);

    @Override
    public void beforeSend(ServerSession session, Transaction tx, Message message, boolean direct,
                           boolean noAutoCreateQueue) {
        message.putStringProperty(ID_KEY, SimpleString.of(UUID.randomUUID().toString()));
        String user = session.getValidatedUser();
        if (user == null) {
            message.removeProperty(KEY);
        } else {
            message.putStringProperty(KEY, SimpleString.of(user));
        }
        // Without this an AMQP message is journaled as the client encoded it: after a broker
        // restart the stamps would be gone and the client's own values back.
        message.messageChanged();
    }
}
