package dev.rfork.worker.spool;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.MessageDigest;
import java.util.Collections;
import java.util.HexFormat;
import java.util.IdentityHashMap;
import java.util.Random;
import java.util.Set;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

class PipelinedDigestTest {
    @Test
    void hashesTheBlocksInTheOrderHandedOverReusingAtMostItsOwnBlocks() throws Exception {
        Random random = new Random(7);
        MessageDigest sha = Manifest.newDigest();
        CRC32C crc = new CRC32C();
        long bytes = 0;
        Set<byte[]> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        try (PipelinedDigest digest = new PipelinedDigest()) {
            for (int i = 0; i < 5 * PipelinedDigest.BLOCKS; i++) {
                byte[] block = digest.take();
                seen.add(block);
                assertThat(block).hasSize(PipelinedDigest.BLOCK_SIZE);
                int length = i % 3 == 0 ? block.length : random.nextInt(block.length);
                random.nextBytes(block);
                sha.update(block, 0, length);
                crc.update(block, 0, length);
                bytes += length;
                digest.hash(block, length);
            }
            PipelinedDigest.Result result = digest.finish();

            assertThat(result.sha256()).isEqualTo(HexFormat.of().formatHex(sha.digest()));
            assertThat(result.crc32c()).isEqualTo(crc.getValue());
            assertThat(result.bytes()).isEqualTo(bytes);
        }
        assertThat(seen).hasSizeLessThanOrEqualTo(PipelinedDigest.BLOCKS);
    }

    @Test
    void nothingHandedOverIsTheDigestOfNoBytes() throws Exception {
        try (PipelinedDigest digest = new PipelinedDigest()) {
            digest.hash(digest.take(), 0);

            assertThat(digest.finish())
                    .isEqualTo(new PipelinedDigest.Result(Manifest.sha256(new byte[0]), new CRC32C().getValue(), 0));
        }
    }

    @Test
    void anAbandonedDigestLetsItsThreadGo() throws Exception {
        PipelinedDigest abandoned = new PipelinedDigest();
        for (int i = 0; i < PipelinedDigest.BLOCKS; i++) {
            abandoned.hash(abandoned.take(), PipelinedDigest.BLOCK_SIZE);
        }
        abandoned.close();
        abandoned.close();

        // The hashing threads are shared: one more digest still gets one and finishes.
        try (PipelinedDigest next = new PipelinedDigest()) {
            next.hash(next.take(), 1);
            assertThat(next.finish().bytes()).isEqualTo(1);
        }
    }
}
