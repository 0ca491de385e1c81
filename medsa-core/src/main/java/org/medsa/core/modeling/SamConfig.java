package org.medsa.core.modeling;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.annotations.SerializedName;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.medsa.core.MedsaException;
import org.medsa.core.geometry.InputProfile;
import org.medsa.core.modeling.sam2.Sam2Config;

/**
 * The architecture of a SAM model. Its JSON form has the layout of the fixtures' {@code
 * config.json}: groups {@code image_encoder}, {@code prompt_encoder}, {@code mask_decoder} (with
 * {@code transformer}), plus {@code pixel_mean}, {@code pixel_std} and {@code mask_threshold};
 * keys are the official constructor argument names, unknown keys are ignored.
 */
public final class SamConfig {

    /** {@code ImageEncoderViT} arguments. */
    public static final class ImageEncoder {
        /** Side of the square model input in pixels. */
        @SerializedName("img_size") public int imgSize = 1024;
        /** Side of a square patch in pixels; img_size must be a multiple of it. */
        @SerializedName("patch_size") public int patchSize = 16;
        /** Input channels; must be 3 (RGB). */
        @SerializedName("in_chans") public int inChans = 3;
        /** Token width of the ViT (768 for ViT-B). */
        @SerializedName("embed_dim") public int embedDim = 768;
        /** Number of ViT blocks. */
        public int depth = 12;
        /** Attention heads per block; must divide embed_dim. */
        @SerializedName("num_heads") public int numHeads = 12;
        /** Hidden width of each block's MLP, as a multiple of embed_dim. */
        @SerializedName("mlp_ratio") public double mlpRatio = 4.0;
        /** Channels of the image embedding the neck outputs. */
        @SerializedName("out_chans") public int outChans = 256;
        /** Whether the qkv projection has a bias. */
        @SerializedName("qkv_bias") public boolean qkvBias = true;
        /** Whether the absolute position embedding {@code pos_embed} is added to the patch tokens. */
        @SerializedName("use_abs_pos") public boolean useAbsPos = true;
        /** Whether attention adds the decomposed relative position bias. */
        @SerializedName("use_rel_pos") public boolean useRelPos = true;
        /** Side of the attention windows in tokens; 0 makes every block global. */
        @SerializedName("window_size") public int windowSize = 14;
        /** Indexes (0-based) of the blocks that attend globally instead of in windows. */
        @SerializedName("global_attn_indexes") public int[] globalAttnIndexes = {2, 5, 8, 11};
        /**
         * Side of the stored absolute position embedding grid; 0 means img_size / patch_size
         * (SAM). Med-SA keeps 1024 / patch_size whatever the input size and resizes it.
         */
        @SerializedName("pos_embed_grid") public int posEmbedGrid = 0;

        /** Side of the token grid, img_size / patch_size. */
        public int tokenGrid() {
            return imgSize / patchSize;
        }

        /** Side of the stored position embedding grid: pos_embed_grid, or the token grid when it is 0. */
        public int posEmbedSide() {
            return posEmbedGrid > 0 ? posEmbedGrid : tokenGrid();
        }

        /** Width of one attention head, embed_dim / num_heads. */
        public int headDim() {
            return embedDim / numHeads;
        }
    }

    /** {@code PromptEncoder} arguments. */
    public static final class PromptEncoder {
        /** Width of the prompt tokens and dense embedding; must equal image_encoder.out_chans. */
        @SerializedName("embed_dim") public int embedDim = 256;
        /** (h, w) of the image embedding in tokens; must equal the encoder's token grid. */
        @SerializedName("image_embedding_size") public int[] imageEmbeddingSize = {64, 64};
        /** (h, w) of the model input in pixels, by which prompt coordinates are normalised. */
        @SerializedName("input_image_size") public int[] inputImageSize = {1024, 1024};
        /** Channels of the mask downscaling (a quarter of them after its first convolution). */
        @SerializedName("mask_in_chans") public int maskInChans = 16;
    }

    /** {@code TwoWayTransformer} arguments. */
    public static final class Transformer {
        /** Number of two-way attention blocks. */
        public int depth = 2;
        /** Token width; must equal mask_decoder.transformer_dim. */
        @SerializedName("embedding_dim") public int embeddingDim = 256;
        /** Attention heads. */
        @SerializedName("num_heads") public int numHeads = 8;
        /** Hidden width of each block's token MLP. */
        @SerializedName("mlp_dim") public int mlpDim = 2048;
        /** Cross-attention computes at embedding_dim / attention_downsample_rate. */
        @SerializedName("attention_downsample_rate") public int attentionDownsampleRate = 2;
    }

    /** {@code MaskDecoder} arguments. */
    public static final class MaskDecoder {
        /** Channel width of the decoder; must equal prompt_encoder.embed_dim and be a multiple of 8. */
        @SerializedName("transformer_dim") public int transformerDim = 256;
        /** Masks of the multimask output; the decoder has one more mask token for the single-mask output. */
        @SerializedName("num_multimask_outputs") public int numMultimaskOutputs = 3;
        /** Layers of the IoU prediction head. */
        @SerializedName("iou_head_depth") public int iouHeadDepth = 3;
        /** Hidden width of the IoU prediction head. */
        @SerializedName("iou_head_hidden_dim") public int iouHeadHiddenDim = 256;
        /** The two-way transformer's arguments. */
        public Transformer transformer = new Transformer();
        /** SAM 2: the upscaling adds the stride-8 and stride-4 image features ({@code conv_s1}, {@code conv_s0}). */
        @SerializedName("use_high_res_features") public boolean useHighResFeatures = false;
        /** SAM 2: the IoU head ends in a sigmoid. */
        @SerializedName("iou_prediction_use_sigmoid") public boolean iouPredictionUseSigmoid = false;
        /** SAM 2: an object-score token and head predict whether the object is present. */
        @SerializedName("pred_obj_scores") public boolean predObjScores = false;
        /** SAM 2: the object-score head is a 3-layer MLP (else one linear layer). */
        @SerializedName("pred_obj_scores_mlp") public boolean predObjScoresMlp = false;
        /** SAM 2: with multimask output, the output tokens of the three masks (else token 0's). */
        @SerializedName("use_multimask_token_for_obj_ptr") public boolean useMultimaskTokenForObjPtr = false;
        /** SAM 2: a single-mask output falls back to the best multimask output when unstable. */
        @SerializedName("dynamic_multimask_via_stability") public boolean dynamicMultimaskViaStability = false;
        /** Logit offset of the stability score. */
        @SerializedName("dynamic_multimask_stability_delta") public double dynamicMultimaskStabilityDelta = 0.05;
        /** Stability below which the fallback happens. */
        @SerializedName("dynamic_multimask_stability_thresh") public double dynamicMultimaskStabilityThresh = 0.98;
    }

    /** The image encoder's arguments. */
    @SerializedName("image_encoder") public ImageEncoder imageEncoder = new ImageEncoder();
    /** The prompt encoder's arguments. */
    @SerializedName("prompt_encoder") public PromptEncoder promptEncoder = new PromptEncoder();
    /** The mask decoder's arguments. */
    @SerializedName("mask_decoder") public MaskDecoder maskDecoder = new MaskDecoder();
    /** Per-channel (R, G, B) mean on a 0–255 scale, subtracted from input images. */
    @SerializedName("pixel_mean") public double[] pixelMean = {123.675, 116.28, 103.53};
    /** Per-channel (R, G, B) standard deviation on a 0–255 scale, dividing input images; positive. */
    @SerializedName("pixel_std") public double[] pixelStd = {58.395, 57.12, 57.375};
    /** Logit above which a pixel belongs to the mask. */
    @SerializedName("mask_threshold") public double maskThreshold = 0.0;
    /**
     * How the weights expect images ({@link InputProfile}: sam, medsam or msa-compat); recorded
     * with every adapter file and training run, so a model is always used on the geometry it was
     * trained on.
     */
    @SerializedName("input_profile") public String inputProfile = InputProfile.SAM.id();
    /** Where the config came from (a preset name or a file), for messages. */
    public transient String source = "config";

    private static final Gson GSON = new GsonBuilder().create();

    /** The names accepted by {@link #preset}. */
    public static final List<String> PRESETS = List.of("vit_b", "vit_l", "vit_h");

    /** SAM's ViT-B, ViT-L and ViT-H (docs/model.md, "Configurations"). */
    public static SamConfig preset(String name) {
        SamConfig c = new SamConfig();
        ImageEncoder e = c.imageEncoder;
        switch (name.toLowerCase(Locale.ROOT)) {
            case "vit_b":
                e.embedDim = 768;
                e.depth = 12;
                e.numHeads = 12;
                e.globalAttnIndexes = new int[] {2, 5, 8, 11};
                break;
            case "vit_l":
                e.embedDim = 1024;
                e.depth = 24;
                e.numHeads = 16;
                e.globalAttnIndexes = new int[] {5, 11, 17, 23};
                break;
            case "vit_h":
                e.embedDim = 1280;
                e.depth = 32;
                e.numHeads = 16;
                e.globalAttnIndexes = new int[] {7, 15, 23, 31};
                break;
            default:
                throw new MedsaException("unknown model preset '" + name + "' (use one of " + PRESETS
                        + " or a config.json file)");
        }
        c.source = name;
        return c;
    }

    /** A preset name, or the path of a JSON config file. */
    public static SamConfig resolve(String presetOrFile) {
        if (PRESETS.contains(presetOrFile.toLowerCase(Locale.ROOT))) {
            return preset(presetOrFile);
        }
        if (Sam2Config.describes(presetOrFile)) {
            throw new MedsaException(presetOrFile + " is a SAM 2 model; this works with SAM models (" + String.join(", ", PRESETS)
                    + " or a SAM config file) — SAM 2 models segment volumes (segment, serve, batch)");
        }
        return load(Path.of(presetOrFile));
    }

    /** Reads a JSON config; unknown keys are ignored, missing ones take SAM's ViT-B defaults. */
    public static SamConfig load(Path file) {
        return fromJson(ModelConfigFiles.read(file, PRESETS), file.toString());
    }

    /** Parses a config from its JSON form; {@code source} names it in error messages. */
    public static SamConfig fromJson(JsonElement json, String source) {
        SamConfig c = ModelConfigFiles.parse(json, source, GSON, SamConfig.class);
        JsonObject o = json.getAsJsonObject();
        if (c.imageEncoder == null) {
            c.imageEncoder = new ImageEncoder();
        }
        if (c.promptEncoder == null) {
            c.promptEncoder = new PromptEncoder();
        }
        if (c.maskDecoder == null) {
            c.maskDecoder = new MaskDecoder();
        }
        if (c.maskDecoder.transformer == null) {
            c.maskDecoder.transformer = new Transformer();
        }
        c.source = source;
        requireWholeNumbers(o, c.toJson(), "", source);
        c.validate();
        return c;
    }

    /** Gson truncates 128.7 to 128 for an int field: refuse it, naming the key. */
    private static void requireWholeNumbers(JsonElement given, JsonElement parsed, String path, String source) {
        if (given == null || parsed == null) {
            return;
        }
        if (given.isJsonObject() && parsed.isJsonObject()) {
            for (String k : given.getAsJsonObject().keySet()) {
                requireWholeNumbers(given.getAsJsonObject().get(k), parsed.getAsJsonObject().get(k), path.isEmpty() ? k : path
                        + "." + k,
                        source);
            }
        } else if (given.isJsonArray() && parsed.isJsonArray()) {
            for (int i = 0; i < Math.min(given.getAsJsonArray().size(), parsed.getAsJsonArray().size()); i++) {
                requireWholeNumbers(given.getAsJsonArray().get(i), parsed.getAsJsonArray().get(i), path + "[" + i + "]", source);
            }
        } else if (given.isJsonPrimitive() && given.getAsJsonPrimitive().isNumber() && parsed.isJsonPrimitive()
                && parsed.getAsJsonPrimitive().isNumber()) {
            double g = given.getAsDouble();
            double p = parsed.getAsDouble();
            if (g != p) {
                throw new MedsaException(source + ": " + path + " must be a whole number in range, got " + given);
            }
        }
    }

    /** The {@code input_profile} as an enum. */
    public InputProfile inputProfile() {
        return InputProfile.parse(inputProfile);
    }

    /**
     * A copy with another input profile. The library never changes a config it was given: a
     * model's config is fixed once the model is built.
     */
    public SamConfig withInputProfile(InputProfile profile) {
        SamConfig c = fromJson(toJson(), source);
        c.inputProfile = profile.id();
        return c;
    }

    /** The JSON form of this config (the same layout {@link #fromJson} reads). */
    public JsonObject toJson() {
        return GSON.toJsonTree(this).getAsJsonObject();
    }

    /** Checks that the sizes fit together; each problem is named. */
    public SamConfig validate() {
        List<String> problems = new ArrayList<>();
        ImageEncoder e = imageEncoder;
        positive(problems, "image_encoder.img_size", e.imgSize);
        positive(problems, "image_encoder.patch_size", e.patchSize);
        positive(problems, "image_encoder.embed_dim", e.embedDim);
        positive(problems, "image_encoder.depth", e.depth);
        positive(problems, "image_encoder.num_heads", e.numHeads);
        positive(problems, "image_encoder.out_chans", e.outChans);
        if (e.patchSize > 0 && e.imgSize % e.patchSize != 0) {
            problems.add("image_encoder.img_size " + e.imgSize + " is not a multiple of patch_size " + e.patchSize);
        }
        if (e.numHeads > 0 && e.embedDim % e.numHeads != 0) {
            problems.add("image_encoder.embed_dim " + e.embedDim + " is not divisible by num_heads " + e.numHeads);
        }
        if (e.inChans != 3) {
            problems.add("image_encoder.in_chans must be 3 (RGB), got " + e.inChans);
        }
        for (int g : e.globalAttnIndexes == null ? new int[0] : e.globalAttnIndexes) {
            if (g < 0 || g >= e.depth) {
                problems.add("image_encoder.global_attn_indexes has " + g + ", outside 0.." + (e.depth - 1));
            }
        }
        if (e.windowSize < 0) {
            problems.add("image_encoder.window_size must be >= 0");
        }
        PromptEncoder p = promptEncoder;
        if (p.imageEmbeddingSize == null || p.imageEmbeddingSize.length != 2 || p.inputImageSize == null
                || p.inputImageSize.length != 2) {
            problems.add("prompt_encoder.image_embedding_size and input_image_size must be [h, w]");
        } else if (e.patchSize > 0 && (p.imageEmbeddingSize[0] != e.tokenGrid() || p.imageEmbeddingSize[1] != e.tokenGrid())) {
            problems.add("prompt_encoder.image_embedding_size " + Arrays.toString(p.imageEmbeddingSize)
                    + " does not match the encoder's token grid " + e.tokenGrid());
        }
        if (p.embedDim != e.outChans) {
            problems.add("prompt_encoder.embed_dim " + p.embedDim + " differs from image_encoder.out_chans " + e.outChans);
        }
        if (p.embedDim % 2 != 0) {
            problems.add("prompt_encoder.embed_dim must be even");
        }
        MaskDecoder d = maskDecoder;
        if (d.transformerDim != p.embedDim || d.transformer.embeddingDim != d.transformerDim) {
            problems.add("mask_decoder.transformer_dim / transformer.embedding_dim (" + d.transformerDim + "/"
                    + d.transformer.embeddingDim + ") must equal prompt_encoder.embed_dim " + p.embedDim);
        }
        if (d.transformerDim % 8 != 0) {
            problems.add("mask_decoder.transformer_dim must be a multiple of 8 (upscaling to dim/4 and dim/8)");
        }
        Transformer t = d.transformer;
        if (t.numHeads <= 0 || (t.embeddingDim / Math.max(t.attentionDownsampleRate, 1)) % t.numHeads != 0) {
            problems.add("mask_decoder.transformer: embedding_dim / attention_downsample_rate must be divisible by num_heads");
        }
        positive(problems, "mask_decoder.num_multimask_outputs", d.numMultimaskOutputs);
        if (pixelMean == null || pixelMean.length != 3 || pixelStd == null || pixelStd.length != 3) {
            problems.add("pixel_mean and pixel_std must have 3 values");
        } else {
            for (int c = 0; c < 3; c++) {
                if (!Double.isFinite(pixelMean[c])) {
                    problems.add("pixel_mean[" + c + "] must be finite, got " + pixelMean[c]);
                }
                if (!(pixelStd[c] > 0) || !Double.isFinite(pixelStd[c])) {
                    problems.add("pixel_std[" + c + "] must be positive and finite, got " + pixelStd[c]);
                }
            }
        }
        if (!Double.isFinite(maskThreshold)) {
            problems.add("mask_threshold must be finite, got " + maskThreshold);
        }
        try {
            InputProfile.parse(inputProfile);
        } catch (MedsaException bad) {
            problems.add("input_profile: " + bad.getMessage());
        }
        if (problems.isEmpty()) {
            // a typo such as depth 1e8 must fail here, not after minutes of allocation
            long params = approximateParameters();
            if (e.depth > 1024 || e.embedDim > 65536 || e.imgSize > 16384 || params > 4_000_000_000L) {
                problems.add(String.format(Locale.ROOT, "a model of depth %d, embed_dim %d, img_size %d has about %,d"
                        + " parameters (%.1f GB), beyond what this library runs (ViT-H has 0.64 G)", e.depth, e.embedDim,
                        e.imgSize, params, params * 4 / 1e9));
            }
        }
        if (!problems.isEmpty()) {
            throw new MedsaException(source + ": invalid model config: " + String.join("; ", problems));
        }
        return this;
    }

    /** Parameters of the image encoder's blocks and embeddings (the bulk of any SAM), in long arithmetic. */
    long approximateParameters() {
        ImageEncoder e = imageEncoder;
        long d = e.embedDim;
        long hidden = (long) (d * e.mlpRatio);
        long perBlock = 4 * d * d + 2 * d * hidden + 10 * d;
        long grid = e.patchSize > 0 ? (long) e.posEmbedSide() * e.posEmbedSide() : 0;
        return e.depth * perBlock + grid * d + 3L * e.patchSize * e.patchSize * d + d * e.outChans * 10;
    }

    private static void positive(List<String> problems, String key, int v) {
        if (v <= 0) {
            problems.add(key + " must be positive, got " + v);
        }
    }
}
