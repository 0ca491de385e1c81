package org.medsa.core.io.pth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.medsa.core.io.Npy;
import org.medsa.core.testing.Fixtures;

/** Every entry of every file in {@code pth_formats}, checked against its manifest and npy. */
class PthFormatsTest {

    @TestFactory
    List<DynamicTest> everyFileMatchesItsManifest() {
        JsonObject files = Fixtures.json("pth_formats", "manifest.json").getAsJsonObject().getAsJsonObject("files");
        List<DynamicTest> tests = new ArrayList<>();
        for (Map.Entry<String, JsonElement> f : files.entrySet()) {
            tests.add(DynamicTest.dynamicTest(f.getKey(), () -> checkFile(f.getKey(), f.getValue().getAsJsonObject())));
        }
        assertEquals(8, tests.size(), "pth_formats files");
        return tests;
    }

    private static void checkFile(String stem, JsonObject spec) throws IOException {
        Path file = Fixtures.path("pth_formats", spec.get("file").getAsString());
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(file)) {
            assertEquals(spec.get("format").getAsString().startsWith("legacy") ? "legacy" : "zip", ckpt.format());
            Object root = ckpt.root();
            assertInstanceOf(Map.class, root, "top level");
            if (spec.has("zip_members") && !spec.get("zip_members").isJsonNull()) {
                List<String> expected = new ArrayList<>();
                spec.getAsJsonArray("zip_members").forEach(e -> expected.add(e.getAsString()));
                assertEquals(expected.stream().sorted().toList(), ckpt.zipMembers().stream().sorted().toList());
            }
            Map<String, TorchTensor> flat = ckpt.allTensors();
            int tensors = 0;
            for (JsonElement el : spec.getAsJsonArray("entries")) {
                JsonObject e = el.getAsJsonObject();
                List<String> path = new ArrayList<>();
                e.getAsJsonArray("path").forEach(p -> path.add(p.getAsString()));
                Object v = navigate(root, path);
                String where = stem + ":" + String.join(".", path);
                switch (e.get("kind").getAsString()) {
                    case "tensor":
                    case "parameter":
                        tensors++;
                        checkTensor(ckpt, stem, where, (TorchTensor) v, e, root);
                        assertSame(v, flat.get(String.join(".", path)), where + " in allTensors()");
                        break;
                    case "value":
                        checkValue(where, v, e);
                        break;
                    case "container":
                        checkContainer(where, v, e);
                        break;
                    default:
                        fail("unknown kind " + e.get("kind"));
                }
            }
            assertEquals(tensors, flat.size(), stem + ": number of tensors");
        }
    }

    private static Object navigate(Object node, List<String> path) {
        for (String p : path) {
            if (node instanceof Map<?, ?> m) {
                Object next = m.containsKey(p) ? m.get(p) : m.get(Long.parseLong(p));
                assertTrue(m.containsKey(p) || m.containsKey(Long.parseLong(p)), "key " + p);
                node = next;
            } else if (node instanceof List<?> l) {
                node = l.get(Integer.parseInt(p));
            } else if (node instanceof PyTuple t) {
                node = t.get(Integer.parseInt(p));
            } else {
                fail("cannot descend into " + node + " at " + p);
            }
        }
        return node;
    }

    private static void checkTensor(TorchCheckpoint ckpt, String stem, String where, TorchTensor t, JsonObject e,
            Object root) throws IOException {
        assertEquals(e.get("dtype").getAsString(), t.dtype().typeName(), where + " dtype");
        assertArrayEquals(longs(e.getAsJsonArray("shape")), t.shape(), where + " shape");
        assertArrayEquals(longs(e.getAsJsonArray("stride")), t.stride(), where + " stride");
        assertEquals(e.get("storage_offset").getAsLong(), t.storageOffset(), where + " offset");
        assertEquals(e.get("requires_grad").getAsBoolean(), t.requiresGrad(), where + " requires_grad");
        assertEquals(e.get("kind").getAsString().equals("parameter"), t.isParameter(), where + " parameter");
        if (e.has("shares_storage_with")) {
            for (JsonElement other : e.getAsJsonArray("shares_storage_with")) {
                TorchTensor o = (TorchTensor) navigate(root, List.of(other.getAsString().split("\\.")));
                assertEquals(o.storage().key(), t.storage().key(), where + " shares storage with " + other);
            }
        }
        TensorData got = ckpt.read(t);
        Path npy = Fixtures.path("pth_formats", "expected", stem, e.get("npy").getAsString());
        if (t.dtype() == TorchDType.BFLOAT16) {
            // stored as raw uint16 bit patterns: compare bits, then the float32 companion
            byte[] raw = Files.readAllBytes(npy);
            byte[] bits = Arrays.copyOfRange(raw, raw.length - got.bytes().length, raw.length);
            assertArrayEquals(bits, got.bytes(), where + " bf16 bits");
            TensorData f32 = Fixtures.npy("pth_formats", "expected", stem, e.get("npy").getAsString()
                    .replace(".npy", ".as_float32.npy"));
            assertArrayEquals(f32.toFloatArray(), got.toFloatArray(), where + " bf16 values");
        } else {
            TensorData ref = Npy.read(npy);
            assertEquals(ref.dtype(), got.dtype(), where + " npy dtype");
            assertArrayEquals(ref.shape(), got.shape(), where + " npy shape");
            // bit-exact, which also covers NaN, infinities, -0.0 and subnormals
            assertArrayEquals(ref.bytes(), got.bytes(), where + " values");
        }
        // And through the engine, as the model loader uses it.
        if (t.numel() > 0) {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray a = got.toNDArray(m, DataType.FLOAT64);
                double[] d = a.toDoubleArray();
                for (int i = 0; i < d.length; i++) {
                    double ref = got.getDouble(i);
                    if (t.dtype() != TorchDType.INT64 || Math.abs(ref) < (1L << 52)) {
                        assertEquals(ref, d[i], 0.0, where + "[" + i + "] via NDArray");
                    }
                }
            }
        }
    }

    private static void checkValue(String where, Object v, JsonObject e) {
        String type = e.get("python_type").getAsString();
        JsonElement value = e.get("value");
        switch (type) {
            case "int":
                assertEquals(value.getAsLong(), ((Number) v).longValue(), where);
                assertInstanceOf(Long.class, v, where);
                break;
            case "float":
                assertEquals(value.getAsDouble(), (Double) v, 0.0, where);
                break;
            case "str":
                assertEquals(value.getAsString(), v, where);
                break;
            case "bool":
                assertEquals(value.getAsBoolean(), v, where);
                break;
            case "NoneType":
                assertNull(v, where);
                break;
            default:
                fail(where + ": unexpected python type " + type);
        }
    }

    private static void checkContainer(String where, Object v, JsonObject e) {
        String type = e.get("python_type").getAsString();
        switch (type) {
            case "dict":
            case "OrderedDict": {
                Map<?, ?> m = assertInstanceOf(Map.class, v, where);
                List<String> keys = new ArrayList<>();
                e.getAsJsonArray("keys").forEach(k -> keys.add(k.getAsString()));
                assertEquals(keys, m.keySet().stream().map(String::valueOf).toList(), where + " keys in order");
                String keyType = e.getAsJsonArray("key_types").get(0).getAsString();
                Class<?> expected = keyType.equals("int") ? Long.class : String.class;
                m.keySet().forEach(k -> assertInstanceOf(expected, k, where + " key type"));
                break;
            }
            case "list":
                assertEquals(e.get("length").getAsInt(), assertInstanceOf(List.class, v, where).size(), where);
                break;
            case "tuple":
                assertEquals(e.get("length").getAsInt(), assertInstanceOf(PyTuple.class, v, where).size(), where);
                break;
            default:
                fail(where + ": unexpected container " + type);
        }
    }

    private static long[] longs(JsonArray a) {
        long[] r = new long[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).getAsLong();
        }
        return r;
    }

    static float readFloat(byte[] b, int i) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getFloat(i * 4);
    }
}
