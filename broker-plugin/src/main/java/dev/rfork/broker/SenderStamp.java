package dev.rfork.broker;

import java.util.UUID;
import org.apache.activemq.artemis.api.core.ActiveMQException;
import org.apache.activemq.artemis.api.core.ActiveMQExceptionType;
import org.apache.activemq.artemis.api.core.Message;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.core.server.ServerSession;
import org.apache.activemq.artemis.core.server.plugin.ActiveMQServerPlugin;
import org.apache.activemq.artemis.core.transaction.Transaction;

/**
 * What every message gets at the broker's door, whatever protocol sent it:
 * <ul>
 *   <li>the broker account that sent it and an id of its own, replacing whatever the client put
 *       there. The worker grants forks by that account, and gives a request id to the first
 *       message that uses it (a redelivery keeps the stamp). Artemis' own populate-validated-user
 *       does the first for CORE and STOMP but not for AMQP, and STOMP and AMQP messages may carry
 *       no message id at all;</li>
 *   <li>a refusal when it cannot be read as a CORE message. The workers consume over CORE, and
 *       the broker converts an AMQP message when it delivers it: one that does not convert (an
 *       unknown type code, a truncated section) would close the worker's consumer at every
 *       delivery and stop the node. Refused here, the sender is told why (a rejected delivery
 *       naming {@value #MALFORMED}) and nothing reaches the queue;</li>
 *   <li>durability for requests: a STOMP frame without {@code persistent:true} or an AMQP message
 *       without a durable header would be lost with the broker. Requests must not depend on a
 *       header a client may forget.</li>
 * </ul>
 */
public final class SenderStamp implements ActiveMQServerPlugin {
    /** The message property that names the sending account. */
    public static final String PROPERTY = "rforkSender";
    /** The message property with an id the broker gave the message when it was sent. */
    public static final String MESSAGE_ID = "rforkMessageId";
    /** The reason code a refused message is rejected with (as the workers' events name it). */
    public static final String MALFORMED = "MALFORMED_MESSAGE";

    private static final SimpleString KEY = SimpleString.of(PROPERTY);
    private static final SimpleString ID_KEY = SimpleString.of(MESSAGE_ID);
    // The request queues (producer-lib's Queues; this jar stays free of rfork's other modules).
    private static final String CHECKPOINT = "checkpoint";
    private static final String RESTORE_PREFIX = "restore.";

    @Override
    public void beforeSend(
            ServerSession session, Transaction tx, Message message, boolean direct, boolean noAutoCreateQueue)
            throws ActiveMQException {
        refuseUnreadable(message);
        message.putStringProperty(ID_KEY, SimpleString.of(UUID.randomUUID().toString()));
        String user = session.getValidatedUser();
        if (user == null) {
            message.removeProperty(KEY);
        } else {
            message.putStringProperty(KEY, SimpleString.of(user));
        }
        if (isRequest(message.getAddress()) && !message.isDurable()) {
            message.setDurable(true);
        }
        // Without this an AMQP message is journaled as the client encoded it: after a broker
        // restart the stamps would be gone and the client's own values back.
        message.messageChanged();
    }

    /** Decodes the message the way a delivery to a CORE consumer will; a CORE message is itself. */
    private static void refuseUnreadable(Message message) throws ActiveMQException {
        try {
            message.toCore();
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new ActiveMQException(
                    ActiveMQExceptionType.ILLEGAL_STATE,
                    MALFORMED + ": the message cannot be decoded (" + cause + "); send the request as a JSON text body",
                    e);
        }
    }

    private static boolean isRequest(String address) {
        return address != null && (address.equals(CHECKPOINT) || address.startsWith(RESTORE_PREFIX));
    }
}
