package org.medsa.core.modeling.sam2;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.annotations.SerializedName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.ModelConfigFiles;
import org.medsa.core.modeling.SamConfig;

/**
 * The architecture and tracking settings of a SAM 2 model (docs/sam2.md). Its JSON form has the
 * layout of the {@code sam2_tiny} fixture's {@code config.json}: groups {@code trunk}, {@code neck},
 * {@code memory_attention}, {@code memory_encoder}, {@code sam_mask_decoder_extra_args}, {@code
 * sam_heads} and {@code video_predictor}, plus the flags of {@code SAM2Base}; keys are the
 * official constructor argument names, unknown keys are ignored, and a missing key takes the
 * value of the official {@code sam2.1_hiera_t} video predictor.
 *
 * <p>Presets ({@link #PRESETS}): the four SAM 2.1 models at 1024 px and {@code medsam2}, the tiny
 * model at 512 px as MedSAM2 ships it.
 */
public final class Sam2Config {

    /** {@code Hiera} trunk arguments. */
    public static final class Trunk {
        /** Channels after the patch embedding (doubled at each stage change). */
        @SerializedName("embed_dim") public int embedDim = 96;
        /** Attention heads of the first stage (doubled at each stage change). */
        @SerializedName("num_heads") public int numHeads = 1;
        /** Blocks per stage. */
        public int[] stages = {1, 2, 7, 2};
        /** Indexes of the blocks with global attention. */
        @SerializedName("global_att_blocks") public int[] globalAttBlocks = {5, 7, 9};
        /** Window side per stage for the windowed blocks. */
        @SerializedName("window_spec") public int[] windowSpec = {8, 4, 14, 7};
        /** (h, w) of the background positional embedding, interpolated to the token grid. */
        @SerializedName("window_pos_embed_bkg_spatial_size") public int[] windowPosEmbedBkgSpatialSize = {7, 7};
        /** Number of stage changes with query pooling. */
        @SerializedName("q_pool") public int qPool = 3;
        /** Pooling stride at a stage change. */
        @SerializedName("q_stride") public int[] qStride = {2, 2};
        /** Channel factor at a stage change. */
        @SerializedName("dim_mul") public double dimMul = 2.0;
        /** Head factor at a stage change. */
        @SerializedName("head_mul") public double headMul = 2.0;
        /** Stochastic depth (training only; inference ignores it). */
        @SerializedName("drop_path_rate") public double dropPathRate = 0.0;
    }

    /** {@code PositionEmbeddingSine} arguments. */
    public static final class SinePositions {
        /** Channels of the encoding. */
        @SerializedName("num_pos_feats") public int numPosFeats = 256;
        /** Whether positions are normalised to [0, scale]. */
        public boolean normalize = true;
        /** Scale of normalised positions; null means 2π. */
        public Double scale;
        /** Frequency base. */
        public double temperature = 10000;
    }

    /** {@code FpnNeck} arguments and the image encoder's scalp. */
    public static final class Neck {
        /** Channels of every output level. */
        @SerializedName("d_model") public int dModel = 256;
        /** Levels (0 = highest resolution) that receive top-down features. */
        @SerializedName("fpn_top_down_levels") public int[] fpnTopDownLevels = {2, 3};
        /** Upsampling of the top-down path: {@code nearest}, or {@code bilinear}/{@code bicubic}. */
        @SerializedName("fpn_interp_model") public String fpnInterpModel = "nearest";
        /** Trunk channels per level, lowest resolution first. */
        @SerializedName("backbone_channel_list") public int[] backboneChannelList = {768, 384, 192, 96};
        /** How many of the lowest-resolution levels the image encoder drops. */
        public int scalp = 1;
        /** The positional encoding of every level. */
        @SerializedName("position_encoding") public SinePositions positionEncoding = new SinePositions();
        /** How levels are fused: {@code sum} or {@code avg}. */
        @SerializedName("fuse_type") public String fuseType = "sum";
    }

    /** {@code RoPEAttention} arguments. */
    public static final class RopeAttention {
        /** Frequency base of the rotary encoding. */
        @SerializedName("rope_theta") public double ropeTheta = 10000.0;
        /** (w, h) of the feature map the frequencies are first computed for. */
        @SerializedName("feat_sizes") public int[] featSizes = {64, 64};
        /** Attention heads. */
        @SerializedName("num_heads") public int numHeads = 1;
        /** Internal width = d_model / downsample_rate. */
        @SerializedName("downsample_rate") public int downsampleRate = 1;
        /** Whether the query frequencies repeat over the memory frames of the keys. */
        @SerializedName("rope_k_repeat") public boolean ropeKRepeat = false;
        /** Channels of keys and values; 0 means d_model. */
        @SerializedName("kv_in_dim") public int kvInDim = 0;
    }

    /** {@code MemoryAttention} and {@code MemoryAttentionLayer} arguments. */
    public static final class MemoryAttention {
        /** Width of the attended features. */
        @SerializedName("d_model") public int dModel = 256;
        /** Number of layers. */
        @SerializedName("num_layers") public int numLayers = 4;
        /** Hidden width of each layer's feed-forward network. */
        @SerializedName("dim_feedforward") public int dimFeedforward = 2048;
        /** Whether 0.1 × the positional encoding is added to the input. */
        @SerializedName("pos_enc_at_input") public boolean posEncAtInput = true;
        /** Feed-forward activation: {@code relu} or {@code gelu}. */
        public String activation = "relu";
        /** Dropout (training only). */
        public double dropout = 0.1;
        /** Whether self-attention queries and keys get the positional encoding. */
        @SerializedName("pos_enc_at_attn") public boolean posEncAtAttn = false;
        /** Whether cross-attention keys get the memory's positional encoding. */
        @SerializedName("pos_enc_at_cross_attn_keys") public boolean posEncAtCrossAttnKeys = true;
        /** Whether cross-attention queries get the positional encoding. */
        @SerializedName("pos_enc_at_cross_attn_queries") public boolean posEncAtCrossAttnQueries = false;
        /** The self-attention. */
        @SerializedName("self_attention") public RopeAttention selfAttention = new RopeAttention();
        /** The cross-attention to the memories. */
        @SerializedName("cross_attention") public RopeAttention crossAttention = crossDefaults();

        private static RopeAttention crossDefaults() {
            RopeAttention a = new RopeAttention();
            a.ropeKRepeat = true;
            a.kvInDim = 64;
            return a;
        }
    }

    /** {@code MaskDownSampler} arguments. */
    public static final class MaskDownsampler {
        /** Kernel of each strided convolution. */
        @SerializedName("kernel_size") public int kernelSize = 3;
        /** Stride of each convolution. */
        public int stride = 2;
        /** Padding of each convolution. */
        public int padding = 1;
        /** Overall stride (a power of stride). */
        @SerializedName("total_stride") public int totalStride = 16;
        /** Output channels; 0 means the memory encoder's in_dim. */
        @SerializedName("embed_dim") public int embedDim = 0;
    }

    /** {@code CXBlock} arguments. */
    public static final class CxBlock {
        /** Channels; 0 means the memory encoder's in_dim. */
        public int dim = 0;
        /** Depth-wise kernel. */
        @SerializedName("kernel_size") public int kernelSize = 7;
        /** Depth-wise padding. */
        public int padding = 3;
        /** Initial layer scale; 0 or less means no {@code gamma}. */
        @SerializedName("layer_scale_init_value") public double layerScaleInitValue = 1e-6;
        /** Depth-wise (true) or full convolution. */
        @SerializedName("use_dwconv") public boolean useDwconv = true;
    }

    /** {@code Fuser} arguments. */
    public static final class Fuser {
        /** Number of CXBlocks. */
        @SerializedName("num_layers") public int numLayers = 2;
        /** Each block. */
        @SerializedName("cx_block") public CxBlock cxBlock = new CxBlock();
    }

    /** {@code MemoryEncoder} arguments. */
    public static final class MemoryEncoder {
        /** Channels of the stored memories. */
        @SerializedName("out_dim") public int outDim = 64;
        /** Channels of the pixel features it reads (the neck's d_model). */
        @SerializedName("in_dim") public int inDim = 256;
        /** The mask downsampler. */
        @SerializedName("mask_downsampler") public MaskDownsampler maskDownsampler = new MaskDownsampler();
        /** The fuser. */
        public Fuser fuser = new Fuser();
        /** The memories' positional encoding. */
        @SerializedName("position_encoding") public SinePositions positionEncoding = memoryPositions();

        private static SinePositions memoryPositions() {
            SinePositions p = new SinePositions();
            p.numPosFeats = 64;
            return p;
        }
    }

    /** The SAM mask decoder's extra arguments. */
    public static final class DecoderExtra {
        /** Fall back to the best multimask output when the single mask is unstable. */
        @SerializedName("dynamic_multimask_via_stability") public boolean dynamicMultimaskViaStability = true;
        /** Logit offset of the stability score. */
        @SerializedName("dynamic_multimask_stability_delta") public double dynamicMultimaskStabilityDelta = 0.05;
        /** Stability below which the fallback happens. */
        @SerializedName("dynamic_multimask_stability_thresh") public double dynamicMultimaskStabilityThresh = 0.98;
    }

    /** The SAM heads built inside {@code SAM2Base} (fixed in the official code). */
    public static final class SamHeads {
        /** Two-way transformer depth. */
        @SerializedName("transformer_depth") public int transformerDepth = 2;
        /** Two-way transformer MLP width. */
        @SerializedName("mlp_dim") public int mlpDim = 2048;
        /** Two-way transformer heads. */
        @SerializedName("num_heads") public int numHeads = 8;
    }

    /** {@code SAM2VideoPredictor} settings. */
    public static final class VideoPredictor {
        /** Background holes up to this area (low-res pixels) are filled in output masks; 0: off. */
        @SerializedName("fill_hole_area") public int fillHoleArea = 8;
        /** Whether overlapping objects are resolved in output masks. */
        @SerializedName("non_overlap_masks") public boolean nonOverlapMasks = false;
        /** Whether a correction clears the non-conditioning memories around it. */
        @SerializedName("clear_non_cond_mem_around_input") public boolean clearNonCondMemAroundInput = false;
        /** Whether a corrected frame becomes a conditioning frame. */
        @SerializedName("add_all_frames_to_correct_as_cond") public boolean addAllFramesToCorrectAsCond = false;
        /** At most this many conditioning frames in the memory attention; -1: all. */
        @SerializedName("max_cond_frames_in_attn") public int maxCondFramesInAttn = -1;
        /** Temporal stride of the non-conditioning memories. */
        @SerializedName("memory_temporal_stride_for_eval") public int memoryTemporalStrideForEval = 1;
        /** At most this many object pointers in the memory attention. */
        @SerializedName("max_obj_ptrs_in_encoder") public int maxObjPtrsInEncoder = 16;
        /** Storage type of memory features: {@code bfloat16} (official) or {@code float32}. */
        @SerializedName("maskmem_features_dtype") public String maskmemFeaturesDtype = "bfloat16";
    }

    /** Side of the square model input. */
    @SerializedName("image_size") public int imageSize = 1024;
    /** The trunk. */
    public Trunk trunk = new Trunk();
    /** The neck. */
    public Neck neck = new Neck();
    /** The memory attention. */
    @SerializedName("memory_attention") public MemoryAttention memoryAttention = new MemoryAttention();
    /** The memory encoder. */
    @SerializedName("memory_encoder") public MemoryEncoder memoryEncoder = new MemoryEncoder();
    /** Memories attended: the conditioning frames plus num_maskmem − 1 previous frames. */
    @SerializedName("num_maskmem") public int numMaskmem = 7;
    /** Scale of the mask probability given to the memory encoder. */
    @SerializedName("sigmoid_scale_for_mem_enc") public double sigmoidScaleForMemEnc = 20.0;
    /** Bias of the mask probability given to the memory encoder. */
    @SerializedName("sigmoid_bias_for_mem_enc") public double sigmoidBiasForMemEnc = -10.0;
    /** A mask prompt is taken as the output without running the SAM heads. */
    @SerializedName("use_mask_input_as_output_without_sam") public boolean useMaskInputAsOutputWithoutSam = true;
    /** On an initial conditioning frame the no-memory embedding is added directly. */
    @SerializedName("directly_add_no_mem_embed") public boolean directlyAddNoMemEmbed = true;
    /** A learned embedding marks memories of frames without the object. */
    @SerializedName("no_obj_embed_spatial") public boolean noObjEmbedSpatial = true;
    /** The decoder uses the stride-4 and stride-8 features. */
    @SerializedName("use_high_res_features_in_sam") public boolean useHighResFeaturesInSam = true;
    /** Three masks on the first click of an initial conditioning frame. */
    @SerializedName("multimask_output_in_sam") public boolean multimaskOutputInSam = true;
    /** The IoU head ends in a sigmoid. */
    @SerializedName("iou_prediction_use_sigmoid") public boolean iouPredictionUseSigmoid = true;
    /** Object pointers of other frames join the memory attention. */
    @SerializedName("use_obj_ptrs_in_encoder") public boolean useObjPtrsInEncoder = true;
    /** Object pointers get a temporal positional encoding. */
    @SerializedName("add_tpos_enc_to_obj_ptrs") public boolean addTposEncToObjPtrs = true;
    /** That encoding is projected by {@code obj_ptr_tpos_proj}. */
    @SerializedName("proj_tpos_enc_in_obj_ptrs") public boolean projTposEncInObjPtrs = true;
    /** The temporal distance is signed. */
    @SerializedName("use_signed_tpos_enc_to_obj_ptrs") public boolean useSignedTposEncToObjPtrs = true;
    /** Only pointers of conditioning frames in the past are attended while tracking. */
    @SerializedName("only_obj_ptrs_in_the_past_for_eval") public boolean onlyObjPtrsInThePastForEval = true;
    /** The decoder predicts whether the object is present. */
    @SerializedName("pred_obj_scores") public boolean predObjScores = true;
    /** The object-score head is an MLP (else one linear layer). */
    @SerializedName("pred_obj_scores_mlp") public boolean predObjScoresMlp = true;
    /** Frames without the object get the fixed {@code no_obj_ptr}. */
    @SerializedName("fixed_no_obj_ptr") public boolean fixedNoObjPtr = true;
    /** The no-object pointer is mixed in softly. */
    @SerializedName("soft_no_obj_ptr") public boolean softNoObjPtr = false;
    /** Multimask output also while tracking. */
    @SerializedName("multimask_output_for_tracking") public boolean multimaskOutputForTracking = true;
    /** The object pointer comes from the chosen multimask token. */
    @SerializedName("use_multimask_token_for_obj_ptr") public boolean useMultimaskTokenForObjPtr = true;
    /** Fewest prompt points for multimask output. */
    @SerializedName("multimask_min_pt_num") public int multimaskMinPtNum = 0;
    /** Most prompt points for multimask output. */
    @SerializedName("multimask_max_pt_num") public int multimaskMaxPtNum = 1;
    /** {@code obj_ptr_proj} is a 3-layer MLP (else one linear layer). */
    @SerializedName("use_mlp_for_obj_ptr_proj") public boolean useMlpForObjPtrProj = true;
    /** Masks from clicks are binarised before the memory encoder. */
    @SerializedName("binarize_mask_from_pts_for_mem_enc") public boolean binarizeMaskFromPtsForMemEnc = true;
    /** Overlapping objects are resolved before the memory encoder. */
    @SerializedName("non_overlap_masks_for_mem_enc") public boolean nonOverlapMasksForMemEnc = false;
    /** Stride of the decoder's image features. */
    @SerializedName("backbone_stride") public int backboneStride = 16;
    /** The decoder's dynamic multimask settings. */
    @SerializedName("sam_mask_decoder_extra_args") public DecoderExtra samMaskDecoderExtraArgs = new DecoderExtra();
    /** The SAM heads. */
    @SerializedName("sam_heads") public SamHeads samHeads = new SamHeads();
    /** The video predictor. */
    @SerializedName("video_predictor") public VideoPredictor videoPredictor = new VideoPredictor();
    /** Where the config came from (a preset name or a file), for messages. */
    public transient String source = "config";

    private static final Gson GSON = new GsonBuilder().serializeNulls().create();

    /** The names accepted by {@link #preset}. */
    public static final List<String> PRESETS = List.of("sam2.1_hiera_t", "sam2.1_hiera_s", "sam2.1_hiera_b+", "sam2.1_hiera_l",
            "medsam2");

    /**
     * A SAM 2.1 model as the official video predictor builds it ({@code build_sam2_video_predictor}
     * with its post-processing overrides), or MedSAM2's tiny model at 512 px.
     *
     * @throws MedsaException for an unknown name
     */
    public static Sam2Config preset(String name) {
        Sam2Config c = new Sam2Config();
        Trunk t = c.trunk;
        switch (name.toLowerCase(Locale.ROOT)) {
            case "sam2.1_hiera_t":
                break;
            case "medsam2":
                c.imageSize = 512;
                c.memoryAttention.selfAttention.featSizes = new int[] {32, 32};
                c.memoryAttention.crossAttention.featSizes = new int[] {32, 32};
                break;
            case "sam2.1_hiera_s":
                t.stages = new int[] {1, 2, 11, 2};
                t.globalAttBlocks = new int[] {7, 10, 13};
                break;
            case "sam2.1_hiera_b+":
                t.embedDim = 112;
                t.numHeads = 2;
                t.stages = new int[] {2, 3, 16, 3};
                t.globalAttBlocks = new int[] {12, 16, 20};
                t.windowPosEmbedBkgSpatialSize = new int[] {14, 14};
                c.neck.backboneChannelList = new int[] {896, 448, 224, 112};
                break;
            case "sam2.1_hiera_l":
                t.embedDim = 144;
                t.numHeads = 2;
                t.stages = new int[] {2, 6, 36, 4};
                t.globalAttBlocks = new int[] {23, 33, 43};
                t.windowSpec = new int[] {8, 4, 16, 8};
                c.neck.backboneChannelList = new int[] {1152, 576, 288, 144};
                break;
            default:
                throw new MedsaException("unknown SAM 2 preset '" + name + "' (use one of " + PRESETS + ")");
        }
        c.source = name;
        return c.validate();
    }

    /** True if {@code presetOrFile} names a SAM 2 preset, or a JSON file in this layout (it has a {@code trunk}). */
    public static boolean describes(String presetOrFile) {
        if (PRESETS.contains(presetOrFile.toLowerCase(Locale.ROOT))) {
            return true;
        }
        Path p = Path.of(presetOrFile);
        if (!presetOrFile.toLowerCase(Locale.ROOT).endsWith(".json") || !Files.isRegularFile(p)) {
            return false;
        }
        try {
            JsonElement e = JsonParser.parseString(Files.readString(p));
            return e.isJsonObject() && e.getAsJsonObject().has("trunk");
        } catch (IOException | JsonParseException e) {
            return false; // the SAM config reader names the problem
        }
    }

    /** A preset name, or the path of a JSON config file. */
    public static Sam2Config resolve(String presetOrFile) {
        if (PRESETS.contains(presetOrFile.toLowerCase(Locale.ROOT))) {
            return preset(presetOrFile);
        }
        return load(Path.of(presetOrFile));
    }

    /** Reads a JSON config; unknown keys are ignored, missing ones take {@code sam2.1_hiera_t}'s values. */
    public static Sam2Config load(Path file) {
        return fromJson(ModelConfigFiles.read(file, PRESETS), file.toString());
    }

    /** Parses a config from its JSON form; {@code source} names it in error messages. */
    public static Sam2Config fromJson(JsonElement json, String source) {
        Sam2Config c = ModelConfigFiles.parse(json, source, GSON, Sam2Config.class);
        c.fillMissingGroups();
        c.source = source;
        return c.validate();
    }

    private void fillMissingGroups() {
        Sam2Config d = new Sam2Config();
        trunk = trunk != null ? trunk : d.trunk;
        neck = neck != null ? neck : d.neck;
        if (neck.positionEncoding == null) {
            neck.positionEncoding = d.neck.positionEncoding;
        }
        memoryAttention = memoryAttention != null ? memoryAttention : d.memoryAttention;
        if (memoryAttention.selfAttention == null) {
            memoryAttention.selfAttention = d.memoryAttention.selfAttention;
        }
        if (memoryAttention.crossAttention == null) {
            memoryAttention.crossAttention = d.memoryAttention.crossAttention;
        }
        memoryEncoder = memoryEncoder != null ? memoryEncoder : d.memoryEncoder;
        if (memoryEncoder.maskDownsampler == null) {
            memoryEncoder.maskDownsampler = d.memoryEncoder.maskDownsampler;
        }
        if (memoryEncoder.fuser == null) {
            memoryEncoder.fuser = d.memoryEncoder.fuser;
        }
        if (memoryEncoder.fuser.cxBlock == null) {
            memoryEncoder.fuser.cxBlock = d.memoryEncoder.fuser.cxBlock;
        }
        if (memoryEncoder.positionEncoding == null) {
            memoryEncoder.positionEncoding = d.memoryEncoder.positionEncoding;
        }
        samMaskDecoderExtraArgs = samMaskDecoderExtraArgs != null ? samMaskDecoderExtraArgs : d.samMaskDecoderExtraArgs;
        samHeads = samHeads != null ? samHeads : d.samHeads;
        videoPredictor = videoPredictor != null ? videoPredictor : d.videoPredictor;
    }

    /** The JSON form of this config (the layout {@link #fromJson} reads). */
    public JsonObject toJson() {
        return GSON.toJsonTree(this).getAsJsonObject();
    }

    /** Width of the SAM heads and of the memory attention (the neck's d_model). */
    public int hiddenDim() {
        return neck.dModel;
    }

    /** Channels of a stored memory (the memory encoder's out_dim). */
    public int memDim() {
        return memoryEncoder.outDim;
    }

    /** Side of the decoder's image embedding in tokens, image_size / backbone_stride. */
    public int embeddingSide() {
        return imageSize / backboneStride;
    }

    /** True if memory features are stored rounded to bfloat16, as the official predictor stores them. */
    public boolean bfloat16Memories() {
        return "bfloat16".equalsIgnoreCase(videoPredictor.maskmemFeaturesDtype);
    }

    /** The SAM heads' prompt-encoder and decoder arguments in the layout SAM 1's blocks read. */
    public SamConfig.PromptEncoder promptEncoderConfig() {
        SamConfig.PromptEncoder p = new SamConfig.PromptEncoder();
        p.embedDim = hiddenDim();
        p.imageEmbeddingSize = new int[] {embeddingSide(), embeddingSide()};
        p.inputImageSize = new int[] {imageSize, imageSize};
        p.maskInChans = 16;
        return p;
    }

    /** The SAM 2 mask decoder's arguments in the layout SAM 1's decoder reads. */
    public SamConfig.MaskDecoder maskDecoderConfig() {
        SamConfig.MaskDecoder d = new SamConfig.MaskDecoder();
        d.transformerDim = hiddenDim();
        d.numMultimaskOutputs = 3;
        d.iouHeadDepth = 3;
        d.iouHeadHiddenDim = 256;
        d.transformer.depth = samHeads.transformerDepth;
        d.transformer.embeddingDim = hiddenDim();
        d.transformer.mlpDim = samHeads.mlpDim;
        d.transformer.numHeads = samHeads.numHeads;
        d.transformer.attentionDownsampleRate = 2;
        d.useHighResFeatures = useHighResFeaturesInSam;
        d.iouPredictionUseSigmoid = iouPredictionUseSigmoid;
        d.predObjScores = predObjScores;
        d.predObjScoresMlp = predObjScoresMlp;
        d.useMultimaskTokenForObjPtr = useMultimaskTokenForObjPtr;
        d.dynamicMultimaskViaStability = samMaskDecoderExtraArgs.dynamicMultimaskViaStability;
        d.dynamicMultimaskStabilityDelta = samMaskDecoderExtraArgs.dynamicMultimaskStabilityDelta;
        d.dynamicMultimaskStabilityThresh = samMaskDecoderExtraArgs.dynamicMultimaskStabilityThresh;
        return d;
    }

    /** Channels of the trunk's output of each stage, highest resolution first. */
    public int[] stageChannels() {
        int[] out = new int[trunk.stages.length];
        double dim = trunk.embedDim;
        for (int s = 0; s < out.length; s++) {
            if (s > 0) {
                dim = (int) (dim * trunk.dimMul);
            }
            out[s] = (int) dim;
        }
        return out;
    }

    /**
     * Checks that the sizes fit together; each problem is named.
     *
     * @throws MedsaException listing every problem
     */
    public Sam2Config validate() {
        List<String> problems = new ArrayList<>();
        positive(problems, "image_size", imageSize);
        positive(problems, "backbone_stride", backboneStride);
        Trunk t = trunk;
        positive(problems, "trunk.embed_dim", t.embedDim);
        positive(problems, "trunk.num_heads", t.numHeads);
        if (t.stages == null || t.stages.length < 2 || Arrays.stream(t.stages).anyMatch(v -> v <= 0)) {
            problems.add("trunk.stages must list at least two positive block counts");
        } else {
            if (t.windowSpec == null || t.windowSpec.length != t.stages.length) {
                problems.add("trunk.window_spec needs one window side per stage (" + t.stages.length + ")");
            }
            if (t.qPool < 0 || t.qPool > t.stages.length - 1) {
                problems.add("trunk.q_pool must be within 0.." + (t.stages.length - 1));
            }
            int depth = Arrays.stream(t.stages).sum();
            int firstOfStage = 0;
            List<Integer> pooled = new ArrayList<>();
            for (int s = 0; s < t.stages.length - 1; s++) {
                firstOfStage += t.stages[s];
                if (s < t.qPool) {
                    pooled.add(firstOfStage);
                }
            }
            for (int g : t.globalAttBlocks == null ? new int[0] : t.globalAttBlocks) {
                if (g < 0 || g >= depth) {
                    problems.add("trunk.global_att_blocks has " + g + ", outside 0.." + (depth - 1));
                } else if (pooled.contains(g)) {
                    // the official Hiera divides by the pooled window size, 0 in a global block
                    problems.add("trunk.global_att_blocks has " + g + ", the first block of a pooled stage,"
                            + " which the official Hiera cannot run globally");
                }
            }
            int[] channels = stageChannels();
            int[] reversed = new int[channels.length];
            for (int i = 0; i < channels.length; i++) {
                reversed[i] = channels[channels.length - 1 - i];
            }
            if (!Arrays.equals(reversed, neck.backboneChannelList)) {
                problems.add("neck.backbone_channel_list " + Arrays.toString(neck.backboneChannelList)
                        + " does not match the trunk's stage channels " + Arrays.toString(reversed));
            }
            if (neck.scalp < 0 || neck.scalp > t.stages.length - 1) {
                problems.add("neck.scalp must be within 0.." + (t.stages.length - 1));
            }
            int levels = t.stages.length - neck.scalp;
            if (useHighResFeaturesInSam && levels < 3) {
                problems.add("use_high_res_features_in_sam needs three feature levels after the scalp, got " + levels);
            }
            // the stride of the last level kept is 4 · 2^(levels − 1) with q_pool at every stage change
            int stride = 4 * (1 << Math.max(0, Math.min(t.qPool, levels - 1)));
            if (stride != backboneStride) {
                problems.add("backbone_stride " + backboneStride + " differs from the trunk's stride " + stride);
            }
        }
        if (t.qStride == null || t.qStride.length != 2 || t.qStride[0] != 2 || t.qStride[1] != 2) {
            problems.add("trunk.q_stride must be [2, 2] (the official pooling)");
        }
        if (t.windowPosEmbedBkgSpatialSize == null || t.windowPosEmbedBkgSpatialSize.length != 2) {
            problems.add("trunk.window_pos_embed_bkg_spatial_size must be [h, w]");
        }
        if (imageSize > 0 && backboneStride > 0 && imageSize % backboneStride != 0) {
            problems.add("image_size " + imageSize + " is not a multiple of backbone_stride " + backboneStride);
        }
        if (imageSize > 0 && t.windowSpec != null && t.windowSpec.length > 0 && (imageSize / 4) % t.windowSpec[0] != 0) {
            problems.add("image_size / 4 = " + imageSize / 4 + " is not a multiple of the first window " + t.windowSpec[0]
                    + " (the window positional embedding is tiled over the token grid)");
        }
        int d = hiddenDim();
        positive(problems, "neck.d_model", d);
        if (d % 8 != 0) {
            problems.add("neck.d_model must be a multiple of 8 (the decoder upscales to d/4 and d/8)");
        }
        if (neck.positionEncoding.numPosFeats != d) {
            problems.add("neck.position_encoding.num_pos_feats " + neck.positionEncoding.numPosFeats
                    + " must equal d_model " + d);
        }
        if (!List.of("nearest", "bilinear", "bicubic").contains(neck.fpnInterpModel)) {
            problems.add("neck.fpn_interp_model must be nearest, bilinear or bicubic, got " + neck.fpnInterpModel);
        }
        if (!List.of("sum", "avg").contains(neck.fuseType)) {
            problems.add("neck.fuse_type must be sum or avg, got " + neck.fuseType);
        }
        MemoryAttention ma = memoryAttention;
        if (ma.dModel != d) {
            problems.add("memory_attention.d_model " + ma.dModel + " must equal the neck's d_model " + d);
        }
        positive(problems, "memory_attention.num_layers", ma.numLayers);
        positive(problems, "memory_attention.dim_feedforward", ma.dimFeedforward);
        if (!List.of("relu", "gelu").contains(ma.activation)) {
            problems.add("memory_attention.activation must be relu or gelu, got " + ma.activation);
        }
        rope(problems, "memory_attention.self_attention", ma.selfAttention, d);
        rope(problems, "memory_attention.cross_attention", ma.crossAttention, d);
        int kv = ma.crossAttention.kvInDim > 0 ? ma.crossAttention.kvInDim : d;
        MemoryEncoder me = memoryEncoder;
        positive(problems, "memory_encoder.out_dim", me.outDim);
        if (me.inDim != d) {
            problems.add("memory_encoder.in_dim " + me.inDim + " must equal the neck's d_model " + d);
        }
        if (kv != me.outDim) {
            problems.add("memory_attention.cross_attention.kv_in_dim " + kv + " must equal memory_encoder.out_dim " + me.outDim);
        }
        if (me.outDim > 0 && d % me.outDim != 0) {
            problems.add("d_model " + d + " must be a multiple of memory_encoder.out_dim " + me.outDim
                    + " (object pointers are split into memory tokens)");
        }
        MaskDownsampler md = me.maskDownsampler;
        if (md.stride < 2 || md.totalStride < md.stride || !isPowerOf(md.totalStride, md.stride)) {
            problems.add("memory_encoder.mask_downsampler.total_stride must be a power of its stride");
        } else if (md.totalStride != backboneStride) {
            problems.add("memory_encoder.mask_downsampler.total_stride " + md.totalStride + " must equal backbone_stride "
                    + backboneStride);
        }
        if (md.embedDim != 0 && md.embedDim != me.inDim) {
            problems.add("memory_encoder.mask_downsampler.embed_dim must equal in_dim " + me.inDim);
        }
        if (me.fuser.cxBlock.dim != 0 && me.fuser.cxBlock.dim != me.inDim) {
            problems.add("memory_encoder.fuser.cx_block.dim must equal in_dim " + me.inDim);
        }
        if (me.positionEncoding.numPosFeats != me.outDim) {
            problems.add("memory_encoder.position_encoding.num_pos_feats must equal out_dim " + me.outDim);
        }
        if (numMaskmem < 0 || numMaskmem > 64) {
            problems.add("num_maskmem must be within 0..64, got " + numMaskmem);
        }
        if (d / 2 % samHeads.numHeads != 0) {
            problems.add("sam_heads.num_heads must divide d_model / 2");
        }
        if (fixedNoObjPtr && !(predObjScores && useObjPtrsInEncoder)) {
            problems.add("fixed_no_obj_ptr needs pred_obj_scores and use_obj_ptrs_in_encoder");
        }
        if (projTposEncInObjPtrs && !addTposEncToObjPtrs) {
            problems.add("proj_tpos_enc_in_obj_ptrs needs add_tpos_enc_to_obj_ptrs");
        }
        if (videoPredictor.maxCondFramesInAttn != -1 && videoPredictor.maxCondFramesInAttn < 2) {
            problems.add("video_predictor.max_cond_frames_in_attn must be -1 or at least 2");
        }
        if (videoPredictor.memoryTemporalStrideForEval < 1) {
            problems.add("video_predictor.memory_temporal_stride_for_eval must be at least 1");
        }
        if (videoPredictor.maxObjPtrsInEncoder < 1) {
            problems.add("video_predictor.max_obj_ptrs_in_encoder must be at least 1");
        }
        if (videoPredictor.fillHoleArea < 0) {
            problems.add("video_predictor.fill_hole_area must be >= 0");
        }
        if (!List.of("bfloat16", "float32").contains(videoPredictor.maskmemFeaturesDtype.toLowerCase(Locale.ROOT))) {
            problems.add("video_predictor.maskmem_features_dtype must be bfloat16 or float32");
        }
        if (problems.isEmpty() && (imageSize > 4096 || t.embedDim > 4096 || d > 4096)) {
            problems.add("image_size " + imageSize + ", embed_dim " + t.embedDim + ", d_model " + d
                    + " are beyond what this library runs");
        }
        if (!problems.isEmpty()) {
            throw new MedsaException(source + ": invalid SAM 2 config: " + String.join("; ", problems));
        }
        return this;
    }

    private static void rope(List<String> problems, String key, RopeAttention a, int d) {
        if (a.numHeads <= 0 || a.downsampleRate <= 0 || d / a.downsampleRate % a.numHeads != 0) {
            problems.add(key + ": d_model / downsample_rate must be divisible by num_heads");
        } else if (d / a.downsampleRate / a.numHeads % 4 != 0) {
            problems.add(key + ": the head width must be a multiple of 4 (axial rotary encoding)");
        }
    }

    private static boolean isPowerOf(int value, int base) {
        int v = 1;
        while (v < value) {
            v *= base;
        }
        return v == value;
    }

    private static void positive(List<String> problems, String key, int v) {
        if (v <= 0) {
            problems.add(key + " must be positive, got " + v);
        }
    }
}
