package dev.rfork.worker.ftp.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.net.Socket;
import java.net.SocketException;
import java.util.function.LongConsumer;
import org.apache.ftpserver.command.Command;
import org.apache.ftpserver.ftplet.DataConnection;
import org.apache.ftpserver.ftplet.DataType;
import org.apache.ftpserver.ftplet.DefaultFtpReply;
import org.apache.ftpserver.ftplet.FtpException;
import org.apache.ftpserver.ftplet.FtpFile;
import org.apache.ftpserver.ftplet.FtpReply;
import org.apache.ftpserver.ftplet.FtpRequest;
import org.apache.ftpserver.impl.DefaultFtpSession;
import org.apache.ftpserver.impl.FtpIoSession;
import org.apache.ftpserver.impl.FtpServerContext;
import org.apache.ftpserver.impl.IODataConnection;
import org.apache.ftpserver.impl.IODataConnectionFactory;
import org.apache.ftpserver.impl.LocalizedDataTransferFtpReply;
import org.apache.ftpserver.impl.LocalizedFtpReply;
import org.apache.ftpserver.impl.ServerFtpStatistics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * FtpServer's STOR, with the data connection read in large blocks. FtpServer's own copies it 4 KiB
 * at a time through an 8 KiB buffer, asks the socket how much is available after every read and
 * updates the session's attributes for every 4 KiB: its receiving thread was busy all the time
 * at ~400 MB/s here, where a plain socket moves ~1.5 GB/s. Replies, checks and statistics are
 * STOR's; the bytes go to the file's stream ({@link DigestingFileSystemFactory}) in blocks of up
 * to {@link #READ_SIZE}. FtpServer has no way to reach its data socket but its private field:
 * where that fails (another FtpServer version), or for ASCII and MODE Z, STOR's own copy runs.
 */
final class BlockStor implements Command {
    private static final Logger LOG = LoggerFactory.getLogger(BlockStor.class);

    /** NioSocketImpl reads at most 128 KiB a call; two calls fill one block. */
    static final int READ_SIZE = 256 << 10;

    private static final Field SOCKET = socketField();

    @Override
    public void execute(FtpIoSession session, FtpServerContext context, FtpRequest request)
            throws IOException, FtpException {
        try {
            store(session, context, request);
        } finally {
            session.resetState();
            session.getDataConnection().closeDataConnection();
        }
    }

    private void store(FtpIoSession session, FtpServerContext context, FtpRequest request)
            throws IOException, FtpException {
        Replies replies = new Replies(session, request, context);
        String fileName = request.getArgument();
        if (fileName == null) {
            replies.send(FtpReply.REPLY_501_SYNTAX_ERROR_IN_PARAMETERS_OR_ARGUMENTS, "STOR", null, null);
            return;
        }
        if (session.getDataConnection() instanceof IODataConnectionFactory factory
                && factory.getInetAddress() == null) {
            session.write(new DefaultFtpReply(
                    FtpReply.REPLY_503_BAD_SEQUENCE_OF_COMMANDS, "PORT or PASV must be issued first"));
            return;
        }
        FtpFile file = fileOrNull(session, fileName);
        if (file == null) {
            replies.send(FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, "STOR.invalid", fileName, null);
            return;
        }
        fileName = file.getAbsolutePath();
        if (!file.isWritable()) {
            replies.send(FtpReply.REPLY_550_REQUESTED_ACTION_NOT_TAKEN, "STOR.permission", fileName, file);
            return;
        }
        session.write(LocalizedFtpReply.translate(
                        session, request, context, FtpReply.REPLY_150_FILE_STATUS_OKAY, "STOR", fileName))
                .awaitUninterruptibly(10_000);
        DataConnection data;
        try {
            data = session.getDataConnection().openConnection();
        } catch (Exception e) {
            LOG.debug("cannot open the data connection", e);
            replies.send(FtpReply.REPLY_425_CANT_OPEN_DATA_CONNECTION, "STOR", fileName, file);
            return;
        }
        long size;
        try (OutputStream out = file.createOutputStream(session.getFileOffset())) {
            size = transfer(session, data, out);
            out.close(); // its failure is the transfer's (FtpServer's STOR does the same)
            ((ServerFtpStatistics) context.getFtpStatistics()).setUpload(session, file, size);
        } catch (SocketException e) {
            LOG.debug("the data connection broke", e);
            replies.send(FtpReply.REPLY_426_CONNECTION_CLOSED_TRANSFER_ABORTED, "STOR", fileName, file);
            return;
        } catch (IOException e) {
            LOG.debug("the upload failed", e);
            replies.send(FtpReply.REPLY_551_REQUESTED_ACTION_ABORTED_PAGE_TYPE_UNKNOWN, "STOR", fileName, file);
            return;
        }
        session.write(LocalizedDataTransferFtpReply.translate(
                session, request, context, FtpReply.REPLY_226_CLOSING_DATA_CONNECTION, "STOR", fileName, file, size));
    }

    /** STOR's replies about a file, in FtpServer's words. */
    private record Replies(FtpIoSession session, FtpRequest request, FtpServerContext context) {
        void send(int code, String subId, String fileName, FtpFile file) {
            session.write(
                    LocalizedDataTransferFtpReply.translate(session, request, context, code, subId, fileName, file));
        }
    }

    /** Whether uploads take the block path (FtpServer's data socket is within reach). */
    static boolean readsInBlocks() {
        return SOCKET != null;
    }

    private static long transfer(FtpIoSession session, DataConnection data, OutputStream out) throws IOException {
        Socket socket = socket(data);
        if (socket == null
                || session.getDataType() != DataType.BINARY
                || session.getDataConnection().isZipMode()) {
            return data.transferFromClient(session.getFtpletSession(), out);
        }
        DefaultFtpSession statistics = session.getFtpletSession() instanceof DefaultFtpSession counted ? counted : null;
        LongConsumer received = read -> {
            if (statistics != null) {
                statistics.increaseReadDataBytes((int) read);
            }
            session.updateLastAccessTime();
        };
        InputStream in = socket.getInputStream();
        if (out instanceof BlockReceiver receiver) {
            return receiver.receive(in, received);
        }
        byte[] buffer = new byte[READ_SIZE];
        long total = 0;
        for (int read; (read = in.readNBytes(buffer, 0, buffer.length)) > 0; ) {
            out.write(buffer, 0, read);
            total += read;
            received.accept(read);
        }
        return total;
    }

    private static FtpFile fileOrNull(FtpIoSession session, String fileName) {
        try {
            return session.getFileSystemView().getFile(fileName);
        } catch (Exception e) {
            LOG.debug("cannot resolve {}", fileName, e);
            return null;
        }
    }

    private static Socket socket(DataConnection data) {
        if (SOCKET == null || !(data instanceof IODataConnection)) {
            return null;
        }
        try {
            return (Socket) SOCKET.get(data);
        } catch (IllegalAccessException e) {
            return null;
        }
    }

    private static Field socketField() {
        try {
            Field field = IODataConnection.class.getDeclaredField("socket");
            field.setAccessible(true);
            return field.getType() == Socket.class ? field : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("FtpServer's data socket is out of reach ({}): uploads use its own, slower copy", e.toString());
            return null;
        }
    }
}
