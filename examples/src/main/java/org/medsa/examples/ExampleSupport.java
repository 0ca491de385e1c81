package org.medsa.examples;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import org.medsa.adapters.MedsaCheckpoints;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.modeling.SamConfig;
import org.medsa.train.eval.EvalReport;
import org.medsa.train.eval.Evaluator;
import org.medsa.train.eval.PromptSetting;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.Trainable;
import org.medsa.train.training.Trainer;
import org.medsa.train.training.TrainingData;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the example mains share: simple {@code --key value} arguments, the base model (a real
 * SAM checkpoint, or the demo's small phantom-trained SAM so the examples run anywhere), and
 * train-then-evaluate.
 */
final class ExampleSupport {

    private ExampleSupport() {}

    static Map<String, String> args(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --key value pairs, got '" + args[i] + "'");
            }
            m.put(args[i].substring(2), args[i + 1]);
        }
        return m;
    }

    /** --model/--checkpoint, or the demo's base model extracted to {@code work}. */
    static Path[] base(Map<String, String> a, Path work) throws IOException {
        if (a.containsKey("checkpoint")) {
            return new Path[] {Path.of(a.getOrDefault("model", "vit_b")), Path.of(a.get("checkpoint"))};
        }
        System.err.println("no --checkpoint given: using the demo's small phantom-trained SAM (give --model vit_b"
                + " --checkpoint sam_vit_b_01ec64.pth for real work)");
        Files.createDirectories(work);
        Path cfg = work.resolve("sam_phantom_config.json");
        Path ckpt = work.resolve("sam_phantom_ct.pth");
        copy("/org/medsa/demo/sam_phantom_config.json", cfg);
        copy("/org/medsa/demo/sam_phantom_ct.pth", ckpt);
        return new Path[] {cfg, ckpt};
    }

    private static void copy(String resource, Path target) throws IOException {
        try (InputStream in = ExampleSupport.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("resource " + resource + " missing");
            }
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Trains the paper preset's adapters, then evaluates under the paper's prompt settings. */
    static void trainAndEvaluate(Path model, Path checkpoint, TrainingData train, TrainingData val, TrainConfig cfg,
            Path runDir, EvalFn eval) throws IOException {
        SamConfig samConfig = org.medsa.core.modeling.SamConfig.resolve(model.toString());
        Device device = Engine.getInstance().defaultDevice();
        try (NDManager manager = NDManager.newBaseManager(device)) {
            Engine.getInstance().setRandomSeed((int) cfg.seed);
            MedsaModel m = new MedsaModel(samConfig, MedsaConfig.preset("paper"));
            MedsaCheckpoints.loadBase(m, checkpoint, manager);
            List<PromptSetting> settings = PromptSetting.parseList(String.join(",", PromptSetting.PAPER));
            EvalReport before = eval.run(new Evaluator(m, cfg.seed, System.err), settings);
            try (Trainer t = new Trainer(Trainable.adapters(m, checkpoint), train, val, cfg, runDir, List.of(device), System.err)) {
                Trainer.Result r = t.run(Files.exists(runDir.resolve(Trainer.LATEST)));
                MedsaCheckpoints.loadAdapters(m, r.best(), checkpoint, manager, false);
            }
            EvalReport after = eval.run(new Evaluator(m, cfg.seed, System.err), settings);
            before.write(runDir.resolve("eval-before"));
            after.write(runDir.resolve("eval-after"));
            System.out.println("## before\n" + before.markdown() + "\n## after\n" + after.markdown());
        }
    }

    /** An evaluation over the example's held-out data. */
    interface EvalFn {
        EvalReport run(Evaluator evaluator, List<PromptSetting> settings);
    }
}
