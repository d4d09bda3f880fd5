package dev.rfork.worker.ship;

import dev.rfork.worker.spool.Manifest;

/** What was uploaded: the manifest, its digest (for the restore request) and how it went. */
public record Shipment(Manifest manifest, String manifestSha256, long bytes, long millis) {}
