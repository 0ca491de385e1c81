package org.medsa.core.io.pth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.testing.Fixtures;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/** Checkpoints we write read back identically (values, dtypes, shapes, nesting, scalars). */
class TorchCheckpointWriterTest {

    @TempDir
    Path tmp;

    @Test
    void fixtureTensorsRoundTripBitExactly() throws Exception {
        // Every tensor of the dtypes fixture (incl. NaN, inf, -0.0, subnormals) through our writer.
        Map<String, TensorData> original = new LinkedHashMap<>();
        try (TorchCheckpoint c = TorchCheckpoint.open(Fixtures.path("pth_formats", "dtypes.pth"))) {
            c.allTensors().forEach((k, t) -> original.put(k, c.read(t)));
        }
        TorchCheckpointWriter.OrderedMap sd = new TorchCheckpointWriter.OrderedMap();
        sd.putAll(original);
        Path file = tmp.resolve("round.pth");
        TorchCheckpointWriter.write(file, sd);
        try (TorchCheckpoint c = TorchCheckpoint.open(file)) {
            Map<String, TorchTensor> back = c.stateDict();
            assertEquals(new ArrayList<>(original.keySet()), new ArrayList<>(back.keySet()));
            for (Map.Entry<String, TensorData> e : original.entrySet()) {
                TensorData got = c.read(back.get(e.getKey()));
                assertEquals(e.getValue().dtype(), got.dtype(), e.getKey());
                assertArrayEquals(e.getValue().shape(), got.shape(), e.getKey());
                assertArrayEquals(e.getValue().bytes(), got.bytes(), e.getKey());
            }
        }
    }

    @Test
    void nestedMetadataAndLazyTensorsRoundTrip() throws Exception {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("step", 1234567890123L);
        root.put("lr", 1e-4);
        root.put("preset", "paper");
        root.put("flag", true);
        root.put("nothing", null);
        root.put("sizes", List.of(1L, 2L, 300L));
        root.put("pair", new PyTuple(Arrays.asList(7L, "x")));
        float[] v = {1.5f, -2f, 3.25f, 0f, 5f, 6f};
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        TensorData t = new TensorData(TorchDType.FLOAT32, new long[] {2, 3}, b.array());
        TorchCheckpointWriter.OrderedMap sd = new TorchCheckpointWriter.OrderedMap();
        sd.put("a.weight", new TorchCheckpointWriter.LazyTensor(TorchDType.FLOAT32, new long[] {2, 3}, () -> t));
        sd.put("empty", new TensorData(TorchDType.INT64, new long[] {0, 3}, new byte[0]));
        root.put("state_dict", sd);
        Path file = tmp.resolve("nested.pth");
        TorchCheckpointWriter.write(file, root);
        try (TorchCheckpoint c = TorchCheckpoint.open(file)) {
            Map<?, ?> r = assertInstanceOf(Map.class, c.root());
            assertEquals(1234567890123L, r.get("step"));
            assertEquals(1e-4, (Double) r.get("lr"), 0);
            assertEquals("paper", r.get("preset"));
            assertEquals(true, r.get("flag"));
            assertNull(r.get("nothing"));
            assertEquals(List.of(1L, 2L, 300L), r.get("sizes"));
            assertEquals(new PyTuple(Arrays.asList(7L, "x")), r.get("pair"));
            Map<String, TorchTensor> st = c.stateDict();
            assertArrayEquals(v, c.read(st.get("a.weight")).toFloatArray());
            assertArrayEquals(new long[] {0, 3}, st.get("empty").shape());
        }
    }
}
