package org.medsa.inference.tracking;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchCheckpointWriter;

/**
 * The weights of the {@code sam2_official_alt} recording, made again instead of kept in the
 * repository: its {@code record.py} seeds PyTorch's generator with 777, builds the official model
 * (whose initialisers draw {@code skipped_draws} 32-bit numbers) and then replaces every tensor,
 * in state-dict order, with {@code randn_like} scaled by its rule. DJL's libtorch runs the same CPU
 * generator and the same normal kernel, so seeding it, skipping the draws with a uniform tensor of
 * that many floats (one draw each) and drawing the tensors in the same order gives the same bits;
 * {@code weights.json} holds the order, the shapes and the SHA-256 of the recorded float32 values,
 * which the result must match.
 */
final class AltRecordingWeights {

    private AltRecordingWeights() {}

    /**
     * Writes the recording's checkpoint ({@code {"model": state_dict}}) to {@code out}.
     *
     * @throws AssertionError if the weights made here are not the recorded ones (their SHA-256)
     */
    static void write(Path dir, Path out) throws IOException {
        JsonObject spec = JsonParser.parseString(Files.readString(dir.resolve("weights.json"))).getAsJsonObject();
        TorchCheckpointWriter.OrderedMap state = new TorchCheckpointWriter.OrderedMap();
        MessageDigest sha = sha256();
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(spec.get("seed").getAsInt());
            m.randomUniform(0f, 1f, new Shape(spec.get("skipped_draws").getAsLong())).close();
            for (JsonElement e : spec.getAsJsonArray("tensors")) {
                JsonArray entry = e.getAsJsonArray();
                String key = entry.get(0).getAsString();
                JsonArray dims = entry.get(1).getAsJsonArray();
                long[] shape = new long[dims.size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = dims.get(i).getAsLong();
                }
                try (NDManager scope = m.newSubManager()) {
                    NDArray v = drawn(scope, key, new Shape(shape));
                    float[] values = v.toFloatArray();
                    ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                    bytes.asFloatBuffer().put(values);
                    sha.update(bytes.array());
                    state.put(key, TensorData.of(v));
                }
            }
        }
        String digest = HexFormat.of().formatHex(sha.digest());
        if (!digest.equals(spec.get("sha256_float32_le").getAsString())) {
            throw new AssertionError("the regenerated sam2_official_alt weights differ from the recorded ones (SHA-256 "
                    + digest + "): this libtorch draws other random numbers than the recording's");
        }
        TorchCheckpointWriter.OrderedMap root = new TorchCheckpointWriter.OrderedMap();
        root.put("model", state);
        TorchCheckpointWriter.write(out, root);
    }

    /** One tensor by {@code record.py}'s rules, in float32 as PyTorch computes them. */
    private static NDArray drawn(NDManager m, String key, Shape shape) {
        NDArray r = m.randomNormal(0f, 1f, shape, DataType.FLOAT32);
        NDArray v;
        if (shape.dimension() >= 2) {
            v = r.div(Math.sqrt(shape.size() / shape.get(0)));
        } else if (key.contains("norm") && key.endsWith("weight")) {
            v = r.mul(0.1).add(1);
        } else if (key.endsWith("gamma")) {
            v = r.mul(0.1).add(0.5);
        } else {
            v = r.mul(0.1);
        }
        if (key.equals("sam_mask_decoder.pred_obj_score_head.layers.2.bias")) {
            v = v.zerosLike().add(3f);
        }
        if (key.startsWith("sam_mask_decoder.output_hypernetworks_mlps.") && key.endsWith(".layers.2.weight")) {
            v = v.mul(25);
        }
        return v;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
