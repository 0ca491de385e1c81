package org.medsa.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.testing.Fixtures;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;

/**
 * {@code medsa batch} through its CLI contract on embedded Spark: the results table and the masks
 * appear where the contract says, each mask equals {@code medsa segment} on the same image and box,
 * and bad settings are one line with exit code 2.
 */
class BatchCommandTest {

    @TempDir
    Path tmp;

    @Test
    void batchWritesTheContractsFilesAndEqualsSegment() throws Exception {
        Path data = Phantom.builder().seed(6).size(32, 24, 6).cases(2).validationCases(1).rendering(Rendering.MR).build()
                .writeMsd(tmp.resolve("ph"));
        List<Path> images;
        try (var s = Files.list(data.resolve("imagesTr"))) {
            images = s.sorted().toList();
        }
        Path manifest = tmp.resolve("rows.csv");
        Files.writeString(manifest, "id,image,box\na," + images.get(0) + ",\"4,3,2,20,15,3\"\nb," + images.get(1)
                + ",\"6,5,1,25,18,4\"\n");
        String cfg = Fixtures.path("sam_tiny", "config.json").toString();
        String ckpt = Fixtures.path("sam_tiny", "state_dict.pth").toString();
        Path out = tmp.resolve("out");
        CliRunner.Result r = CliRunner.run("batch", "--manifest", manifest.toString(), "--out", out.toString(), "--model", cfg,
                "--checkpoint", ckpt, "--master", "local[2]");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("2 rows: 2 ok, 0 errors"), r.out());
        assertTrue(Files.isRegularFile(out.resolve("results.csv")) && Files.isDirectory(out.resolve("results.parquet")));
        String[][] boxes = {{"a", "4,3,2,20,15,3"}, {"b", "6,5,1,25,18,4"}};
        for (int i = 0; i < 2; i++) {
            Path seg = tmp.resolve("seg" + i + ".nii.gz");
            CliRunner.Result s = CliRunner.run("segment", "--model", cfg, "--checkpoint", ckpt, "--image", images.get(i)
                    .toString(), "--box",
                    boxes[i][1], "--out", seg.toString(), "--device", "cpu");
            assertEquals(0, s.exitCode(), s.err());
            int[] want = NiftiReader.read(seg).toLabelVolume().data();
            Assertions.assertArrayEquals(want, NiftiReader.read(out.resolve("masks/" + boxes[i][0] + ".nii.gz")).toLabelVolume()
                    .data(),
                    boxes[i][0]);
            // two empty masks would be equal too: the box's structure is in the mask
            assertTrue(Arrays.stream(want).filter(v -> v == 1).count() > 0, boxes[i][0] + " mask is empty");
        }
        r = CliRunner.run("batch", "--manifest", tmp.resolve("none.csv").toString(), "--out", out.toString(), "--model", cfg,
                "--checkpoint", ckpt, "--master", "local[1]");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("none.csv: no such manifest"), r.err());
        r = CliRunner.run("batch", "--manifest", manifest.toString(), "--out", out.toString(), "--model", cfg, "--checkpoint",
                tmp.resolve("none.pth").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("none.pth: no such checkpoint file"), r.err());
    }
}
