package dev.rfork.worker.ftp.server;

import dev.rfork.worker.ftp.client.CompressedUpload;
import dev.rfork.worker.ftp.client.SmallFilesBundle;
import org.apache.ftpserver.command.Command;
import org.apache.ftpserver.ftplet.DefaultFtpReply;
import org.apache.ftpserver.ftplet.FtpReply;
import org.apache.ftpserver.ftplet.FtpRequest;
import org.apache.ftpserver.impl.FtpIoSession;
import org.apache.ftpserver.impl.FtpServerContext;
import org.apache.ftpserver.impl.LocalizedFtpReply;

/**
 * FtpServer's FEAT, with {@link SmallFilesBundle#FEATURE} and {@link CompressedUpload#FEATURE}
 * listed before its last line ("End") when uploads take {@link BlockStor}'s block path, the only
 * one that unpacks bundles and decompresses.
 */
final class Feat implements Command {
    @Override
    public void execute(FtpIoSession session, FtpServerContext context, FtpRequest request) {
        session.resetState();
        FtpReply features = LocalizedFtpReply.translate(
                session, request, context, FtpReply.REPLY_211_SYSTEM_STATUS_REPLY, "FEAT", null);
        String message = features.getMessage();
        int last = message.lastIndexOf('\n');
        if (BlockStor.readsInBlocks() && last > 0) {
            String ours = "\n " + SmallFilesBundle.FEATURE
                    + (CompressedUpload.available() ? "\n " + CompressedUpload.FEATURE : "");
            message = message.substring(0, last) + ours + message.substring(last);
        }
        session.write(new DefaultFtpReply(features.getCode(), message));
    }
}
