package dev.rfork.worker.ship;

import dev.rfork.worker.spool.Manifest;

/**
 * What was uploaded: the manifest, its digest (for the restore request) and how it went.
 *
 * @param bytes      the images' bytes (the manifest's sizes)
 * @param compressed whether they travelled compressed
 * @param wireBytes  what crossed the network for them: {@code bytes} when not compressed (0 when moved)
 */
public record Shipment(
        Manifest manifest, String manifestSha256, long bytes, long millis, boolean compressed, long wireBytes) {}
