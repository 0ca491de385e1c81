package org.medsa.demo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.medsa.adapters.MedsaConfig;
import org.medsa.core.MedsaException;
import org.medsa.core.io.AtomicFiles;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.train.FineTuning;
import org.medsa.train.training.TrainConfig;

/**
 * The small SAM this library pre-trained on CT-like phantoms (64×64 input, 0.99 M parameters),
 * shipped inside this module so that the demo, the examples and the server run with no download:
 * real work uses a real SAM checkpoint. {@code docs/demo.md} gives the commands that made it.
 */
public final class DemoModels {

    static final String RESOURCES = "/org/medsa/demo/";
    static final String CONFIG = "sam_phantom_config.json";
    static final String BASE = "sam_phantom_ct.pth";
    static final String MR_ADAPTERS = "sam_phantom_mr_adapters.pth";
    static final String SAM2_CONFIG = "sam2_phantom_config.json";
    static final String SAM2_BASE = "sam2_phantom_ct.pt";

    /** The model config file and the base checkpoint, extracted to a folder. */
    public record Base(Path config, Path checkpoint) {}

    private DemoModels() {}

    /**
     * The MR-like phantoms the demo adapts to (16 cases of 64 × 48 × 32, the last 4 held out): what
     * {@code medsa demo} trains and evaluates on and what {@code medsa serve} shows by default.
     */
    public static Phantom mrPhantoms() {
        return Phantom.builder().seed(11).size(64, 48, 32).cases(16).validationCases(4)
                .rendering(Rendering.MR).build();
    }

    /**
     * The CT-like phantoms both demo bases were pre-trained on (24 cases of 64 × 48 × 32, seed 7,
     * the last 4 held out: {@code medsa phantom --rendering ct --cases 24 --validation 4 --seed 7}).
     */
    public static Phantom ctPhantoms() {
        return Phantom.builder().seed(7).size(64, 48, 32).cases(24).validationCases(4).rendering(Rendering.CT).build();
    }

    /**
     * Writes the small SAM 2 this library pre-trained on the CT-like phantoms ({@link #ctPhantoms},
     * 128 × 128 input, clips of 4 slices; docs/demo.md gives the command) into {@code dir}: its
     * {@code sam2_phantom_config.json} and {@code sam2_phantom_ct.pt} (kept if already there and
     * unchanged).
     *
     * @throws MedsaException if the folder cannot be written
     */
    public static Base extractSam2(Path dir) {
        return new Base(extract(SAM2_CONFIG, dir), extract(SAM2_BASE, dir));
    }

    /**
     * The paper preset with adapter widths in proportion to this small model (32 in the encoder, 16 in the decoder; ViT-H takes
     * 64).
     */
    public static MedsaConfig paperAdapters() {
        return MedsaConfig.builder("paper").encoderWidth(32).decoderWidth(16).build();
    }

    /**
     * Writes the phantom SAM's config and weights into {@code dir} (kept if already there and
     * unchanged).
     *
     * @throws MedsaException if the folder cannot be written
     */
    public static Base extractBase(Path dir) {
        return new Base(extract(CONFIG, dir), extract(BASE, dir));
    }

    /**
     * Writes the adapters the demo trains for MR-like phantoms ({@code medsa demo} with its
     * defaults, seed 42: {@code run/adapters_best.pth}) next to the base, so the server can start on
     * the adapted model without training; returns the adapter file.
     *
     * @throws MedsaException if the folder cannot be written
     */
    public static Path extractMrAdapters(Path dir) {
        return extract(MR_ADAPTERS, dir);
    }

    /**
     * The paper preset on {@code checkpoint} (a preset name or config file in {@code model}), or,
     * when {@code checkpoint} is null, on the demo's small phantom-trained SAM (extracted into
     * {@code runDir/base}) with adapters sized for it — so the examples run anywhere.
     */
    public static FineTuning fineTuningOnBaseOrDemo(String model, Path checkpoint, TrainConfig trainConfig, Path runDir) {
        if (checkpoint != null) {
            return new FineTuning(SamConfig.resolve(model), checkpoint, MedsaConfig.preset("paper"), trainConfig, runDir);
        }
        Base base = extractBase(runDir.resolve("base"));
        return new FineTuning(SamConfig.load(base.config()), base.checkpoint(), paperAdapters(), trainConfig, runDir);
    }

    /**
     * Med-SA on SAM 2 ({@code paper} adapters) on {@code checkpoint} (a SAM 2 preset or config file in
     * {@code model}), or, when {@code checkpoint} is null, on the demo's small phantom-trained SAM 2
     * (extracted into {@code runDir/base}) with adapters sized for it.
     */
    public static FineTuning sam2FineTuningOnBaseOrDemo(String model, Path checkpoint, TrainConfig trainConfig, Path runDir) {
        if (checkpoint != null) {
            return new FineTuning(Sam2Config.resolve(model), checkpoint, MedsaConfig.preset("paper"), false, trainConfig,
                    runDir);
        }
        Base base = extractSam2(runDir.resolve("base"));
        return new FineTuning(Sam2Config.load(base.config()), base.checkpoint(), paperAdapters(), false, trainConfig, runDir);
    }

    private static Path extract(String name, Path dir) {
        Path target = dir.resolve(name);
        byte[] bytes;
        try (InputStream in = DemoModels.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new MedsaException("the demo model's " + name + " is missing from the medsa-demo jar");
            }
            bytes = in.readAllBytes();
            if (Files.isRegularFile(target) && Arrays.equals(Files.readAllBytes(target), bytes)) {
                return target;
            }
        } catch (IOException e) {
            throw new MedsaException(target + ": cannot read (" + e.getMessage() + ")", e);
        }
        AtomicFiles.write(target, out -> out.write(bytes));
        return target;
    }
}
