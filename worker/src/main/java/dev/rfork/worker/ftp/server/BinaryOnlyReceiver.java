package dev.rfork.worker.ftp.server;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * An upload that only {@link BlockStor}'s block path can feed ({@link BlockReceiver#receive}):
 * what arrives is unpacked or decompressed into the request's files, never kept as sent. A
 * {@link BufferedOutputStream} only so that FtpServer does not wrap it in a buffer of its own;
 * FtpServer's own copy (ASCII mode, MODE Z) writes, and that is refused.
 */
abstract class BinaryOnlyReceiver extends BufferedOutputStream implements BlockReceiver {
    BinaryOnlyReceiver() {
        super(OutputStream.nullOutputStream(), 1);
    }

    @Override
    public final void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public final void write(byte[] bytes, int offset, int length) throws IOException {
        throw new IOException("this upload is taken in binary mode only");
    }

    @Override
    public final void flush() {}

    /** What {@link #receive} opened, it closed; the data connection is FtpServer's to close. */
    @Override
    public final void close() {}
}
