package dev.rfork.worker.ftp.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UploadAreaTest {
    private static final String ID = "6f1c1f4e-3a5b-4c8e-9a55-1d2b3c4d5e6f";

    @ParameterizedTest(name = "{0}: directory {1}, file {2}")
    @CsvSource(
            delimiter = '|',
            value = {
                "/" + ID + "                           | true  | false",
                "/" + ID + "/pages-1.img               | false | true",
                "/" + ID + "/rfork-manifest.json       | false | true",
                "/" + ID + ".restored                  | false | false",
                "/" + ID + ".out                       | false | false",
                "/" + ID + "/sub/pages-1.img           | false | false",
                "/" + ID + "/                          | false | false",
                "/6F1C1F4E-3A5B-4C8E-9A55-1D2B3C4D5E6F | false | false",
                "/not-a-request                        | false | false",
                "/not-a-request/pages-1.img            | false | false",
                "/                                     | false | false",
                "pages-1.img                           | false | false",
                "/x/" + ID + "/pages-1.img             | false | false",
            })
    void writesAreTakenOnlyInARequestsDirectory(String path, boolean directory, boolean file) {
        assertThat(UploadArea.isRequestDirectory(path)).isEqualTo(directory);
        assertThat(UploadArea.isRequestFile(path)).isEqualTo(file);
    }
}
