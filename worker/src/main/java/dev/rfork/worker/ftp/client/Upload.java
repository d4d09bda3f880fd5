package dev.rfork.worker.ftp.client;

import dev.rfork.worker.ship.ImageSource;
import dev.rfork.worker.ship.ShipProgress;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * What every file of one shipment is sent with, on whichever connection carries it.
 *
 * @param remoteDir  the request's directory on the target
 * @param compressed whether files go as {@link CompressedUpload}s (the target takes them)
 * @param aborted    polled at every block: another lane failed, so this one stops too
 * @param progress   told the image bytes as they are sent
 * @param wireBytes  the bytes that crossed the data connections, compressed or not
 */
record Upload(
        String remoteDir,
        ImageSource images,
        boolean compressed,
        BooleanSupplier aborted,
        ShipProgress progress,
        LongAdder wireBytes) {

    /** The same shipment, stopped by {@code stop} too. */
    Upload abortedBy(BooleanSupplier stop) {
        return new Upload(remoteDir, images, compressed, stop, progress, wireBytes);
    }
}
