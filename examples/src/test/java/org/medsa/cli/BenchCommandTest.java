package org.medsa.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.testing.Fixtures;

/** {@code medsa bench} keeps its JSON contract: the keys, and values that agree with each other. */
class BenchCommandTest {

    static JsonObject run(String... args) {
        CliRunner.Result r = CliRunner.run(args);
        assertEquals(0, r.exitCode(), r.err());
        return JsonParser.parseString(r.out().strip()).getAsJsonObject();
    }

    @Test
    void theThreeBenchmarksPrintTheirKeys() {
        String cfg = Fixtures.path("sam_tiny", "config.json").toString();
        JsonObject e = run("bench", "encoder", "--model", cfg, "--runs", "2", "--json");
        assertEquals(Set.of("first_s", "steady_s", "gflop", "gflops", "matmul_gflops", "ratio"), e.keySet());
        assertEquals(e.get("gflop").getAsDouble() / e.get("steady_s").getAsDouble(), e.get("gflops").getAsDouble(), 1e-9);
        assertEquals(e.get("gflops").getAsDouble() / e.get("matmul_gflops").getAsDouble(), e.get("ratio").getAsDouble(), 1e-9);
        assertTrue(e.get("first_s").getAsDouble() > 0 && e.get("matmul_gflops").getAsDouble() > 0);

        JsonObject d = run("bench", "decode", "--model", cfg, "--runs", "5", "--json");
        assertEquals(Set.of("p50_ms", "p95_ms"), d.keySet());
        assertTrue(d.get("p95_ms").getAsDouble() >= d.get("p50_ms").getAsDouble() && d.get("p50_ms").getAsDouble() > 0,
                d.toString());

        JsonObject t = run("bench", "train", "--model", cfg, "--steps", "2", "--checkpointing", "--json");
        assertEquals(Set.of("step_s", "peak_rss_gb", "trainable"), t.keySet());
        MedsaModel m = new MedsaModel(SamConfig.load(Fixtures.path("sam_tiny", "config.json")), MedsaConfig.preset("paper"));
        long want = m.trainableParameters().entrySet().stream().filter(x -> !x.getKey().startsWith("prompt_encoder."))
                .mapToLong(x -> m.stateDictShapes().get(x.getKey()).size()).sum();
        assertEquals(want, t.get("trainable").getAsLong());
        assertTrue(t.get("peak_rss_gb").getAsDouble() > 0.05 && t.get("step_s").getAsDouble() > 0, t.toString());

        CliRunner.Result bad = CliRunner.run("bench", "train", "--model", cfg, "--steps", "0", "--json");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("--steps must be at least 1"), bad.err());
    }
}
