package org.medsa.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medsa.core.MedsaException;
import org.medsa.core.io.Npy;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchDType;
import org.medsa.core.modeling.Sam;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPrediction;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.core.viz.Overlay;
import org.medsa.data.image.ImageFiles;
import org.medsa.data.transforms.Intensity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code medsa predict}: SAM's predictor on one image and one prompt. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "Segment one image from clicks, a box and/or a previous low-res mask.")
public final class PredictCommand implements Callable<Integer> {

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    PromptOptions promptOptions;

    @Option(names = "--image", required = true, paramLabel = "<file.png|.jpg|.dcm|.npy>",
            description = "The image: PNG/JPEG/BMP/TIFF, a single-frame DICOM file, or a uint8 .npy of (H, W, 3) RGB or (H, W) "
                    + "gray.")
    Path image;

    @Option(names = "--intensity", defaultValue = "auto", paramLabel = "<auto|ct|mr|lo,hi>",
            description = "How a gray DICOM image's values become gray levels, as for segment (default ${DEFAULT-VALUE}).")
    String intensity;

    @Option(names = "--mask-input", paramLabel = "<low_res.npy>",
            description = "Previous low-res logits, float32 (h, w), (1, h, w) or (1, 1, h, w).")
    Path maskInput;

    @Option(names = "--multimask", description = "Return three masks (SAM's ambiguity-aware output).")
    boolean multimask;

    @Option(names = "--save-embeddings", description = "Also write image_embeddings.npy.")
    boolean saveEmbeddings;

    @Option(names = "--out", required = true, paramLabel = "<dir>", description = "Output folder.")
    Path out;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    /** Files this command writes into --out. */
    static final String[] OUTPUTS = {"low_res_logits.npy", "masks_logits.npy", "iou_predictions.npy", "mask.png", "overlay.png",
        "image_embeddings.npy"};

    @Override
    public Integer call() throws Exception {
        Prompt prompt = promptOptions.toPrompt();
        if (maskInput != null) {
            TensorData m = Npy.read(maskInput);
            long[] s = m.shape();
            int n = s.length;
            boolean leadingOnes = n >= 2 && n <= 4 && Arrays.stream(s, 0, n - 2).allMatch(v -> v == 1);
            if (m.dtype() != TorchDType.FLOAT32 || !leadingOnes) {
                throw new MedsaException(maskInput + ": --mask-input must be float32 logits of shape (h, w), (1, h, w) or"
                        + " (1, 1, h, w), got " + m.dtype().typeName() + " " + Arrays.toString(s));
            }
            prompt.maskInput(m.toFloatArray(), (int) s[n - 2], (int) s[n - 1]);
        }
        if (prompt.isEmpty()) {
            throw new MedsaException("no prompt: give at least one --point, a --box or a --mask-input");
        }
        RgbImage img = ImageFiles.readRgb(image, Intensity.parse(intensity));
        prompt.validate(img.height(), img.width());
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new MedsaException(out + ": --out must be a folder, and this is a file");
        }
        for (String name : OUTPUTS) {
            Path o = out.resolve(name);
            if (Files.exists(o) && (Files.isSameFile(o, image) || (maskInput != null && Files.isSameFile(o, maskInput)))) {
                throw new MedsaException(o + ": is an input of this run; choose another --out");
            }
        }
        Files.createDirectories(out);
        try (NDManager manager = NDManager.newBaseManager(modelOptions.device())) {
            long t0 = System.nanoTime();
            Sam sam = modelOptions.load(manager);
            long t1 = System.nanoTime();
            try (SamPredictor predictor = new SamPredictor(sam, manager)) {
                predictor.setImage(img);
                long t2 = System.nanoTime();
                SamPrediction r = predictor.predict(prompt, multimask);
                long t3 = System.nanoTime();
                int c = r.numMasks();
                Npy.writeFloats(out.resolve("low_res_logits.npy"), r.lowResLogits(), c, r.lowResHeight(), r.lowResWidth());
                Npy.writeFloats(out.resolve("masks_logits.npy"), r.masksLogits(), c, r.height(), r.width());
                Npy.writeFloats(out.resolve("iou_predictions.npy"), r.iouPredictions(), c);
                int best = r.best();
                boolean[] mask = r.mask(best);
                Overlay.writePng(Overlay.maskImage(mask, r.height(), r.width()), out.resolve("mask.png"));
                Overlay.writePng(Overlay.forViewing(Overlay.render(img, mask, null, prompt), 256), out.resolve("overlay.png"));
                if (saveEmbeddings) {
                    Npy.write(out.resolve("image_embeddings.npy"), predictor.imageEmbedding());
                }
                int area = 0;
                for (boolean b : mask) {
                    area += b ? 1 : 0;
                }
                System.out.printf(Locale.ROOT, "image %dx%d, %d mask(s); best mask %d: predicted IoU %.4f, %d pixels (%.1f%%)%n",
                        img.width(), img.height(), c, best, r.iouPredictions()[best], area, 100.0 * area / mask.length);
                System.out.printf(Locale.ROOT, "load %.2fs, encode %.2fs, decode %.3fs; wrote %s%n",
                        (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9, out);
            }
        }
        return 0;
    }
}
