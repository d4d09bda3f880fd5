package dev.rfork.worker.ftp.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.function.LongConsumer;

/** Where an upload goes when it reads the data connection itself, in blocks ({@link BlockStor}). */
interface BlockReceiver {
    /** Reads {@code in} to its end; {@code counted} hears of every read; the bytes taken. */
    long receive(InputStream in, LongConsumer counted) throws IOException;
}
