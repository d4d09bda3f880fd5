package dev.rfork.worker.ftp.server;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.ftpserver.command.Command;
import org.apache.ftpserver.ftplet.DefaultFtpReply;
import org.apache.ftpserver.ftplet.FtpReply;

/**
 * Password checks ({@code PASS}) from one address run one at a time. FtpServer answers a wrong
 * password only after its login-failure delay and closes a connection after a few, but counts
 * per connection: twenty connections opened at once guessed twenty passwords in one delay. In
 * turn, each wrong password costs its delay whatever the number of connections. A right one
 * takes a few milliseconds, so the few parallel logins of a shipment hardly wait.
 *
 * <p>At most {@link #MAX_WAITING} checks from one address wait for their turn; beyond that a
 * login is answered 421 and its connection closed at once, so one address cannot hold many of
 * the server's threads (each waiting check holds one).
 */
final class LoginThrottle {
    /** Twice the connections one shipment opens at once (4: the client's FtpTransport.MAX_CONNECTIONS). */
    static final int MAX_WAITING = 8;

    private static final long MAX_WAIT_MS = 30_000;

    /** Whose turn it is at one address, and how many checks are in or waiting (changed in compute only). */
    private static final class Turn {
        final Semaphore lock = new Semaphore(1, true);
        int users;
    }

    private final Map<InetAddress, Turn> turns = new ConcurrentHashMap<>();

    /** {@code pass} (FtpServer's PASS command), taking its turn per client address. */
    Command guard(Command pass) {
        return (session, context, request) -> {
            if (!(session.getRemoteAddress() instanceof InetSocketAddress remote)) {
                pass.execute(session, context, request);
                return;
            }
            InetAddress address = remote.getAddress();
            int[] users = new int[1];
            Turn turn = turns.compute(address, (key, current) -> {
                Turn joined = current == null ? new Turn() : current;
                users[0] = ++joined.users;
                return joined;
            });
            try {
                if (users[0] > MAX_WAITING + 1 || !acquire(turn)) {
                    session.write(new DefaultFtpReply(
                            FtpReply.REPLY_421_SERVICE_NOT_AVAILABLE_CLOSING_CONTROL_CONNECTION,
                            "Too many logins from your address at once, try again later."));
                    session.close(false);
                    return;
                }
                try {
                    pass.execute(session, context, request);
                } finally {
                    turn.lock.release();
                }
            } finally {
                turns.compute(address, (key, current) -> --current.users == 0 ? null : current);
            }
        };
    }

    private static boolean acquire(Turn turn) {
        try {
            return turn.lock.tryAcquire(MAX_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
