package org.medsa.core.io.pth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.Reference;

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
        ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
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

    /** What PyTorch's own torch.load reads from a file our writer made: every value, dtype and shape. */
    static final String TORCH_LOAD = String.join("\n",
            "import sys, json, math, torch",
            "def enc(v):",
            "    if isinstance(v, torch.Tensor):",
            "        flat = v.detach().reshape(-1).to(torch.float64).tolist() if v.dtype != torch.bool else "
                    + "v.reshape(-1).tolist()",
            "        vals = [x if not isinstance(x, float) or math.isfinite(x) else repr(x) for x in flat]",
            "        return dict(tensor=str(v.dtype), shape=list(v.shape), values=vals, requires_grad=v.requires_grad)",
            "    if isinstance(v, dict):",
            "        return dict(dict_type=type(v).__name__, items=[[k, enc(x)] for k, x in v.items()])",
            "    if isinstance(v, tuple):",
            "        return dict(tuple=[enc(x) for x in v])",
            "    if isinstance(v, list):",
            "        return [enc(x) for x in v]",
            "    if isinstance(v, float) and not math.isfinite(v):",
            "        return repr(v)",
            "    return v",
            "obj = torch.load(sys.argv[1], map_location='cpu')",
            "print(json.dumps(enc(obj)))");

    @Test
    void torchLoadReadsWhatWeWrite() throws Exception {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", "medsa-adapters");
        root.put("step", 1234567890123L);
        root.put("lr", 1e-4);
        root.put("flag", true);
        root.put("nothing", null);
        root.put("sizes", List.of(1L, 2L, 300L));
        root.put("pair", new PyTuple(Arrays.asList(7L, "x")));
        TorchCheckpointWriter.OrderedMap sd = new TorchCheckpointWriter.OrderedMap();
        try (TorchCheckpoint c = TorchCheckpoint.open(Fixtures.path("pth_formats", "dtypes.pth"))) {
            c.allTensors().forEach((k, t) -> sd.put(k.replace('.', '_'), c.read(t)));
        }
        float[] v = {1.5f, -2f, 3.25f, 0f, 5f, 6f};
        ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        TensorData t = new TensorData(TorchDType.FLOAT32, new long[] {2, 3}, b.array());
        sd.put("lazy.weight", new TorchCheckpointWriter.LazyTensor(TorchDType.FLOAT32, new long[] {2, 3}, () -> t));
        sd.put("empty", new TensorData(TorchDType.INT64, new long[] {0, 3}, new byte[0]));
        root.put("state_dict", sd);
        Path file = tmp.resolve("ours.pth");
        TorchCheckpointWriter.write(file, root);
        JsonObject got = Reference.json("torch_load_of_our_writer", TORCH_LOAD,
                List.of("torch"), file.toString()).getAsJsonObject();
        assertEquals("dict", got.get("dict_type").getAsString());
        JsonArray items = got.getAsJsonArray("items");
        assertEquals(List.of("format", "step", "lr", "flag", "nothing", "sizes", "pair", "state_dict"),
                items.asList().stream().map(e -> e.getAsJsonArray().get(0).getAsString()).toList());
        assertEquals("medsa-adapters", items.get(0).getAsJsonArray().get(1).getAsString());
        assertEquals(1234567890123L, items.get(1).getAsJsonArray().get(1).getAsLong());
        assertEquals(1e-4, items.get(2).getAsJsonArray().get(1).getAsDouble(), 0);
        assertEquals(true, items.get(3).getAsJsonArray().get(1).getAsBoolean());
        assertEquals("[1,2,300]", items.get(5).getAsJsonArray().get(1).toString());
        assertEquals("{\"tuple\":[7,\"x\"]}", items.get(6).getAsJsonArray().get(1).toString());
        JsonObject state = items.get(7).getAsJsonArray().get(1).getAsJsonObject();
        assertEquals("OrderedDict", state.get("dict_type").getAsString());
        Map<String, JsonObject> tensors = new LinkedHashMap<>();
        for (JsonElement e : state.getAsJsonArray("items")) {
            tensors.put(e.getAsJsonArray().get(0).getAsString(), e.getAsJsonArray().get(1).getAsJsonObject());
        }
        assertEquals(new ArrayList<>(sd.keySet()), new ArrayList<>(tensors.keySet()));
        for (Map.Entry<String, Object> e : sd.entrySet()) {
            TensorData want = e.getValue() instanceof TensorData d ? d : t;
            JsonObject r = tensors.get(e.getKey());
            assertEquals("torch." + want.dtype().typeName(), r.get("tensor").getAsString(), e.getKey());
            assertEquals(Arrays.toString(want.shape()), r.getAsJsonArray("shape").toString().replace(",", ", "), e.getKey());
            JsonArray values = r.getAsJsonArray("values");
            if (want.dtype() == TorchDType.BOOL) {
                byte[] bytes = want.bytes();
                for (int i = 0; i < bytes.length; i++) {
                    assertEquals(bytes[i] != 0, values.get(i).getAsBoolean(), e.getKey() + "[" + i + "]");
                }
                continue;
            }
            long n = want.numel();
            assertEquals(n, values.size(), e.getKey());
            for (int i = 0; i < n; i++) {
                double expectedValue = want.getDouble(i);
                JsonPrimitive p = values.get(i).getAsJsonPrimitive();
                double g = p.isString() ? Double.parseDouble(p.getAsString().replace("nan", "NaN").replace("inf", "Infinity"))
                        : p.getAsDouble();
                assertEquals(expectedValue, g, 0, e.getKey() + "[" + i + "]");
            }
        }
    }

}
