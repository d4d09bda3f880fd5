package dev.rfork.worker.ftp.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class UploadPlanTest {

    @Test
    void theBigPagesFileGetsAConnectionAndTheSmallFilesShareTheOthers() {
        List<Path> files = new ArrayList<>(IntStream.range(0, 12)
                .mapToObj(i -> Path.of("core-" + i + ".img"))
                .toList());
        files.add(Path.of("pages-1.img"));
        Function<Path, Long> cost = file -> file.toString().startsWith("pages") ? 20L << 20 : 1000L;

        List<List<Path>> lanes = UploadPlan.lanes(files, 4, withPerFileCost(cost));

        assertThat(lanes).hasSize(4);
        assertThat(lanes.get(0)).containsExactly(Path.of("pages-1.img"));
        assertThat(lanes.subList(1, 4)).allSatisfy(lane -> assertThat(lane).hasSize(4));
        assertThat(lanes.stream().flatMap(List::stream)).containsExactlyInAnyOrderElementsOf(files);
    }

    @Test
    void neverMoreConnectionsThanFiles() {
        List<Path> files = List.of(Path.of("a.img"), Path.of("b.img"));
        Map<Path, Long> sizes = Map.of(files.get(0), 5L, files.get(1), 7L);

        assertThat(UploadPlan.lanes(files, 4, withPerFileCost(sizes::get)))
                .containsExactly(List.of(Path.of("b.img")), List.of(Path.of("a.img")));
        assertThat(UploadPlan.lanes(List.of(), 4, withPerFileCost(sizes::get))).isEmpty();
    }

    @Test
    void oneConnectionTakesEverythingBiggestFirst() {
        List<Path> files = List.of(Path.of("a.img"), Path.of("b.img"), Path.of("c.img"));
        Map<Path, Long> sizes = Map.of(files.get(0), 5L, files.get(1), 7L, files.get(2), 1L);

        assertThat(UploadPlan.lanes(files, 1, withPerFileCost(sizes::get)))
                .containsExactly(List.of(Path.of("b.img"), Path.of("a.img"), Path.of("c.img")));
    }

    private static Function<Path, Long> withPerFileCost(Function<Path, Long> size) {
        return file -> size.apply(file) + UploadPlan.PER_FILE_COST;
    }
}
