package dev.rfork.worker.ftp.client;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Splits an image directory over a few FTP connections so that they finish at about the same
 * time: largest file first, each to the connection with the least work so far. A CRIU image
 * thus gets the big pages file on the first connection and the small files on the others.
 */
final class UploadPlan {
    /**
     * What one more file costs, in bytes: its PASV/STOR/150/226 round trips and the data
     * connection take about as long as a megabyte does on the wire.
     */
    static final long PER_FILE_COST = 1 << 20;

    private UploadPlan() {}

    /** At most {@code maxLanes} non-empty lanes; the first lane holds the largest file. */
    static List<List<Path>> lanes(List<Path> files, int maxLanes) throws IOException {
        Map<Path, Long> cost = new HashMap<>();
        for (Path file : files) {
            cost.put(file, Files.size(file) + PER_FILE_COST);
        }
        return lanes(files, maxLanes, cost::get);
    }

    static List<List<Path>> lanes(List<Path> files, int maxLanes, Function<Path, Long> cost) {
        int count = Math.max(1, Math.min(maxLanes, files.size()));
        List<List<Path>> lanes = new ArrayList<>();
        long[] load = new long[count];
        for (int i = 0; i < count; i++) {
            lanes.add(new ArrayList<>());
        }
        List<Path> biggestFirst = files.stream()
                .sorted(Comparator.comparing(cost).reversed().thenComparing(Comparator.naturalOrder()))
                .collect(Collectors.toList());
        for (Path file : biggestFirst) {
            int lightest = 0;
            for (int i = 1; i < count; i++) {
                if (load[i] < load[lightest]) {
                    lightest = i;
                }
            }
            lanes.get(lightest).add(file);
            load[lightest] += cost.apply(file);
        }
        lanes.removeIf(List::isEmpty);
        return lanes;
    }
}
