package org.medsa.core.modeling.sam2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.MedsaException;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchCheckpoint;
import org.medsa.core.io.pth.TorchCheckpointWriter;
import org.medsa.core.io.pth.TorchDType;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.ParityTest;

/**
 * Official SAM 2 checkpoint layouts: {@code {"model": state_dict}} and a bare state dict load; a
 * renamed key or a tensor of another shape is refused in one line that names it, before anything
 * is loaded.
 */
class Sam2CheckpointTest extends ParityTest {

    @TempDir
    Path tmp;

    private static Map<String, TensorData> fixtureTensors() {
        Map<String, TensorData> sd = new LinkedHashMap<>();
        try (TorchCheckpoint c = TorchCheckpoint.open(Fixtures.path("sam2_tiny", "checkpoint.pt"))) {
            c.stateDict().forEach((k, t) -> sd.put(k, c.read(t)));
        }
        return sd;
    }

    private Path write(String name, Map<String, TensorData> sd, boolean wrapped) throws Exception {
        TorchCheckpointWriter.OrderedMap state = new TorchCheckpointWriter.OrderedMap();
        state.putAll(sd);
        Path file = tmp.resolve(name);
        if (wrapped) {
            Map<String, Object> root = new LinkedHashMap<>();
            root.put("model", state);
            TorchCheckpointWriter.write(file, root);
        } else {
            TorchCheckpointWriter.write(file, state);
        }
        return file;
    }

    private static Sam2Config config() {
        return Sam2Config.load(Fixtures.path("sam2_tiny", "config.json"));
    }

    @Test
    void bareStateDictLoadsTheSameWeights() throws Exception {
        Map<String, TensorData> sd = fixtureTensors();
        assertEquals(359, sd.size());
        Path bare = write("bare.pt", sd, false);
        try (NDManager m = manager.newSubManager()) {
            Sam2Model a = Sam2Model.load(config(), Fixtures.path("sam2_tiny", "checkpoint.pt"), m);
            Sam2Model b = Sam2Model.load(config(), bare, m);
            String key = "memory_attention.layers.1.cross_attn_image.k_proj.weight";
            assertArrayEquals(a.stateDictParameters().get(key).getArray().toFloatArray(),
                    b.stateDictParameters().get(key).getArray().toFloatArray());
            assertEquals(sd.keySet(), a.stateDictParameters().keySet(), "every official key, no other");
        }
    }

    @Test
    void renamedKeyIsRefusedByName() throws Exception {
        Map<String, TensorData> sd = new LinkedHashMap<>();
        fixtureTensors().forEach((k, v) -> sd.put(k.equals("obj_ptr_tpos_proj.weight") ? "obj_ptr_tpos_proj.weights" : k, v));
        Path file = write("renamed.pt", sd, true);
        try (NDManager m = manager.newSubManager()) {
            MedsaException e = assertThrows(MedsaException.class, () -> Sam2Model.load(config(), file, m));
            assertTrue(e.getMessage().contains("1 missing [obj_ptr_tpos_proj.weight]"), e.getMessage());
            assertTrue(e.getMessage().contains("1 unexpected [obj_ptr_tpos_proj.weights]"), e.getMessage());
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
            assertEquals(-1, e.getMessage().indexOf('\n'), "one line");
        }
    }

    @Test
    void wrongShapeIsRefusedByName() throws Exception {
        Map<String, TensorData> sd = fixtureTensors();
        sd.put("no_obj_embed_spatial", new TensorData(TorchDType.FLOAT32, new long[] {1, 32}, new byte[32 * 4]));
        Path file = write("shape.pt", sd, true);
        try (NDManager m = manager.newSubManager()) {
            MedsaException e = assertThrows(MedsaException.class, () -> Sam2Model.load(config(), file, m));
            assertTrue(e.getMessage().contains("no_obj_embed_spatial [1, 32] vs model [1, 16]"), e.getMessage());
            assertEquals(-1, e.getMessage().indexOf('\n'), "one line");
        }
    }
}
