package org.medsa.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.testing.Fixtures;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.inference.Propagation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;

/**
 * The server with a SAM 2 model (the {@code sam2_tiny} fixture's): a click, its propagation with
 * memory (the same labels as the volume segmenter's), undo, and the health report.
 */
class Sam2ServerTest {

    @TempDir
    static Path tmp;
    static Path data;
    static NDManager manager;
    static PromptableModel model;
    static SegmentationServer server;

    @BeforeAll
    static void start() throws Exception {
        data = Files.createDirectories(tmp.resolve("data"));
        TensorData v = Fixtures.npy("sam2_tiny", "volume_uint8.npy");
        float[] d = new float[6 * 90 * 70];
        for (int k = 0; k < 6; k++) {
            for (int i = 0; i < 90; i++) {
                for (int j = 0; j < 70; j++) {
                    d[i + 90 * (j + 70 * k)] = v.bytes()[(k * 90 + i) * 70 + j] & 0xff;
                }
            }
        }
        NiftiWriter.write(NiftiImage.of(new ImageVolume(new Grid(90, 70, 6, Affine.identity()), d), NiftiDatatype.FLOAT32),
                data.resolve("blob.nii.gz"));
        manager = NDManager.newBaseManager();
        Path cfg = Fixtures.path("sam2_tiny", "config.json");
        Path ckpt = Fixtures.path("sam2_tiny", "checkpoint.pt");
        model = ModelLoader.forModel(cfg.toString(), ckpt).loadModel(manager);
        server = SegmentationServer.builder(ServedModel.of(model, "sam2_tiny", ckpt), manager).dataFolder(data).port(0)
                .build().start();
    }

    @AfterAll
    static void stop() {
        server.close();
        manager.close();
    }

    @Test
    void aClickPropagatedWithMemoryIsTheVolumeSegmentersAndUndoTakesItBack() throws Exception {
        ServerApiTest.Reply h = ServerApiTest.send(server, "GET", "/api/health", null);
        assertEquals("sam2", h.json().getAsJsonObject("model").get("family").getAsString());
        assertTrue(model instanceof Sam2Model);
        ServerApiTest.Reply r = ServerApiTest.send(server, "POST", "/api/volumes", "{\"path\": \"blob.nii.gz\"}");
        assertEquals(200, r.status(), new String(r.body()));
        String id = r.json().get("id").getAsString();
        // axis 2: point [u, v] = [i, j] = [row, column]
        r = ServerApiTest.send(server, "POST", "/api/volumes/" + id + "/segment",
                "{\"axis\": 2, \"index\": 3, \"points\": [[42, 35, 1]], \"label\": 4}");
        assertEquals(200, r.status(), new String(r.body()));
        JsonObject seg = r.json();
        assertTrue(seg.get("area").getAsInt() > 100, seg.toString());
        int[] afterClick = server.session(id).labels();
        r = ServerApiTest.send(server, "POST", "/api/volumes/" + id + "/propagate",
                "{\"axis\": 2, \"from\": 3, \"label\": 4, \"direction\": \"both\"}");
        assertEquals(200, r.status(), new String(r.body()));
        JsonArray slices = r.json().getAsJsonArray("slices");
        int[] want;
        try (VolumeSegmenter vs = new VolumeSegmenter(model, manager)) {
            want = vs.segment(SegmentationInput.read(data.resolve("blob.nii.gz")), new VolumePrompts().point(4, 42, 35, 3, true),
                    VolumeSegmenter.Options.builder().propagate(Propagation.Direction.BOTH, Integer.MAX_VALUE).build())
                    .labels().data();
        }
        assertArrayEquals(want, server.session(id).labels());
        List<Integer> got = new ArrayList<>();
        slices.forEach(e -> got.add(e.getAsInt()));
        assertEquals(List.of(0, 1, 2, 3, 4, 5), got, "the blob is on every slice");
        ServerApiTest.assertError(ServerApiTest.send(server, "POST", "/api/volumes/" + id + "/propagate",
                "{\"axis\": 2, \"from\": 3, \"label\": 4, \"min_iou\": 0.5}"), 400, "min_iou applies to SAM models");
        assertEquals(200, ServerApiTest.send(server, "POST", "/api/volumes/" + id + "/undo", null).status());
        assertArrayEquals(afterClick, server.session(id).labels());
        assertEquals(200, ServerApiTest.send(server, "POST", "/api/volumes/" + id + "/undo", null).status());
        assertEquals(0, Arrays.stream(server.session(id).labels()).sum());
        ServerApiTest.assertError(ServerApiTest.send(server, "POST", "/api/volumes/" + id + "/propagate",
                "{\"axis\": 2, \"from\": 3, \"label\": 4}"), 400, "nothing to propagate: slice 3 along axis 2 has no pixel");
    }
}
