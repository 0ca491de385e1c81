package org.medsa.adapters;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import java.util.List;
import java.util.Locale;
import org.medsa.core.MedsaException;
import org.medsa.core.nn.Mlp;

/**
 * How SAM is adapted: which adapters exist, their sizes and initialisation, and which of the
 * official code's behaviours to reproduce. Two presets: {@code paper} (default) and {@code
 * official-code} (docs/architecture.md compares them). Immutable; start from a preset and change
 * what differs:
 *
 * <pre>{@code
 * MedsaConfig small = MedsaConfig.builder("paper").encoderWidth(32).decoderWidth(16).build();
 * }</pre>
 */
public final class MedsaConfig {

    private MedsaConfig() {}

    /** The two recipes. */
    public enum Preset {
        /** The paper's design: encoder + decoder adapters (incl. HyP-Adpt), SAM frozen. */
        PAPER("paper"),
        /** The official repository: encoder Space/MLP/Depth adapters, whole mask decoder trained. */
        OFFICIAL_CODE("official-code");

        private final String id;

        Preset(String id) {
            this.id = id;
        }

        /** The preset's name, as adapter files record it and {@link #parse} reads it. */
        public String id() {
            return id;
        }

        /**
         * A preset by name ({@code paper}, {@code official-code}) or enum constant name, any case.
         *
         * @throws MedsaException for an unknown name
         */
        public static Preset parse(String s) {
            for (Preset p : values()) {
                if (p.id.equalsIgnoreCase(s) || p.name().equalsIgnoreCase(s)) {
                    return p;
                }
            }
            throw new MedsaException("unknown adapter preset '" + s + "' (use paper or official-code)");
        }
    }

    /** How the SD-Trans depth branch groups tokens (docs/architecture.md). */
    public enum DepthMode {
        /** Attention along the true slice axis for every token position, on LN1(x) (our design). */
        CORRECTED,
        /** The official grouping of consecutive leading entries after window partitioning. */
        OFFICIAL_GROUPING
    }

    /** The names {@link #preset(String)} accepts. */
    public static final List<String> PRESET_NAMES = List.of("paper", "official-code");

    private Preset preset = Preset.PAPER;
    private int encoderWidth = 64;
    private double encoderRatio = 0.25;
    private Mlp.Activation activation = Mlp.Activation.GELU;
    private double mlpScale = 0.5;
    private Adapter.Init init = Adapter.Init.ZERO_UP;
    private boolean padBeforeNorm = false;
    private String[] relNames = {"rel_pos_h", "rel_pos_w"};
    private boolean volumetric = false;
    private DepthMode depthMode = DepthMode.CORRECTED;
    private Integer chunk = null;

    private boolean decoderAdapters = true;
    private int decoderWidth = 64;
    private int hyperLayers = 1;
    private double hyperScale = 1.0;
    private double decoderMlpScale = 0.5;

    private boolean efficientSamDecoder = false;
    private boolean officialMaskOutputs = false;
    private boolean fixedPosEmbedGrid = false;

    /** A preset by name. */
    public static MedsaConfig preset(String name) {
        return preset(Preset.parse(name));
    }

    /** The settings of a preset ({@code paper} is the defaults). */
    public static MedsaConfig preset(Preset p) {
        return builder(p).build();
    }

    /** A builder starting from a preset by name. */
    public static Builder builder(String preset) {
        return builder(Preset.parse(preset));
    }

    /** A builder starting from a preset's settings. */
    public static Builder builder(Preset p) {
        Builder b = new Builder(new MedsaConfig());
        b.c.preset = p;
        if (p == Preset.OFFICIAL_CODE) {
            b.encoderWidth(0).encoderRatio(0.25).init(Adapter.Init.TORCH_DEFAULT).padBeforeNorm(true).relNames("rel_h", "rel_w")
                    .volumetric(true).depthMode(DepthMode.OFFICIAL_GROUPING).decoderAdapters(false).efficientSamDecoder(true)
                    .officialMaskOutputs(true).fixedPosEmbedGrid(true);
        }
        return b;
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        return new Builder(copy());
    }

    private MedsaConfig copy() {
        return COPY.fromJson(COPY.toJsonTree(this), MedsaConfig.class);
    }

    /**
     * These settings for training or running on chunks of {@code depth} slices: with depth above 1
     * the SD-Trans branch is built, and the official code's grouping takes chunks of that depth.
     */
    public MedsaConfig forDepth(int depth) {
        if (depth <= 1) {
            return this;
        }
        Builder b = toBuilder().volumetric(true);
        if (preset == Preset.OFFICIAL_CODE) {
            b.chunk(depth);
        }
        return b.build();
    }

    /** The recipe these settings started from. */
    public Preset preset() {
        return preset;
    }

    /** Encoder adapter bottleneck width; 0 means {@link #encoderRatio} × embed_dim. */
    public int encoderWidth() {
        return encoderWidth;
    }

    /** Encoder adapter width as a fraction of embed_dim (floored), used when {@link #encoderWidth} is 0. */
    public double encoderRatio() {
        return encoderRatio;
    }

    /** The activation inside every adapter. */
    public Mlp.Activation activation() {
        return activation;
    }

    /** The factor s of the adapter parallel to the MLP. */
    public double mlpScale() {
        return mlpScale;
    }

    /** How the adapters' up-projections start ({@code paper}: zero; {@code official-code}: PyTorch's default). */
    public Adapter.Init init() {
        return init;
    }

    /** Official block order: window padding before LN1, so padded tokens carry the LN bias. */
    public boolean padBeforeNorm() {
        return padBeforeNorm;
    }

    /** Relative-position table names: SAM's, or the official code's {@code rel_h}/{@code rel_w}. */
    public String[] relNames() {
        return relNames.clone();
    }

    /** Build the SD-Trans depth branch (3D); 3D input then needs the slice count at forward time. */
    public boolean volumetric() {
        return volumetric;
    }

    /** How the depth branch groups tokens ({@code official-code}: the official grouping). */
    public DepthMode depthMode() {
        return depthMode;
    }

    /** Official grouping only: slices per group ({@code -chunk}); null = the whole leading axis. */
    public Integer chunk() {
        return chunk;
    }

    /** Decoder adapters (three per two-way block, one of them HyP-Adpt). */
    public boolean decoderAdapters() {
        return decoderAdapters;
    }

    /** Decoder adapter bottleneck width. */
    public int decoderWidth() {
        return decoderWidth;
    }

    /** Number K of prompt-generated weight layers inside HyP-Adpt. */
    public int hyperLayers() {
        return hyperLayers;
    }

    /** The factor s of HyP-Adpt's output, {@code x + s · up(e_K)}. */
    public double hyperScale() {
        return hyperScale;
    }

    /** The factor s of the decoder adapter parallel to the token MLP. */
    public double decoderMlpScale() {
        return decoderMlpScale;
    }

    /** Med-SA's EfficientSAM-style two-way blocks (names and self-attention semantics). */
    public boolean efficientSamDecoder() {
        return efficientSamDecoder;
    }

    /** Med-SA's mask outputs: max(4, n) tokens, masks 0..n−1 whatever the multimask flag. */
    public boolean officialMaskOutputs() {
        return officialMaskOutputs;
    }

    /** Med-SA keeps the absolute position embedding at 1024/patch and resizes it bicubically. */
    public boolean fixedPosEmbedGrid() {
        return fixedPosEmbedGrid;
    }

    /** The encoder adapter width for an embedding width. */
    public long encoderWidthFor(long dim) {
        return encoderWidth > 0 ? encoderWidth : Adapter.widthFor(dim, encoderRatio);
    }

    /** Whether encoder blocks carry a Depth adapter (the official code always builds them). */
    public boolean hasDepthAdapters() {
        return volumetric || preset == Preset.OFFICIAL_CODE;
    }

    private static final Gson GSON = new Gson();
    /** Copies keep NaN and infinite values as they are. */
    private static final Gson COPY = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    /** The JSON form of every field (enums by name), as adapter files record it. */
    public JsonObject toJson() {
        return GSON.toJsonTree(this).getAsJsonObject();
    }

    /**
     * Reads the form {@link #toJson} writes; fields it lacks keep the {@code paper} defaults.
     *
     * @param source names the origin in error messages
     */
    public static MedsaConfig fromJson(String json, String source) {
        try {
            MedsaConfig c = GSON.fromJson(json, MedsaConfig.class);
            if (c == null || c.preset == null || c.activation == null || c.init == null || c.depthMode == null
                    || c.relNames == null || c.relNames.length != 2) {
                throw new MedsaException(source + ": incomplete adapter configuration");
            }
            return c;
        } catch (JsonParseException | IllegalArgumentException e) {
            throw new MedsaException(source + ": unreadable adapter configuration (" + e.getMessage() + ")", e);
        }
    }

    /** A readable summary of the preset and adapter sizes. */
    public String describe() {
        return preset.id() + (volumetric ? " (3D)" : "") + String.format(Locale.ROOT,
                ", encoder adapter width %s, %s, init %s", encoderWidth > 0 ? String.valueOf(encoderWidth)
                        : encoderRatio + "·D", activation, init);
    }

    /** Settings being made; each value is described at its getter. */
    public static final class Builder {
        private final MedsaConfig c;

        private Builder(MedsaConfig c) {
            this.c = c;
        }

        /** See {@link MedsaConfig#encoderWidth()}. */
        public Builder encoderWidth(int value) {
            c.encoderWidth = value;
            return this;
        }

        /** See {@link MedsaConfig#encoderRatio()}. */
        public Builder encoderRatio(double value) {
            c.encoderRatio = value;
            return this;
        }

        /** See {@link MedsaConfig#activation()}. */
        public Builder activation(Mlp.Activation value) {
            c.activation = value;
            return this;
        }

        /** See {@link MedsaConfig#mlpScale()}. */
        public Builder mlpScale(double value) {
            c.mlpScale = value;
            return this;
        }

        /** See {@link MedsaConfig#init()}. */
        public Builder init(Adapter.Init value) {
            c.init = value;
            return this;
        }

        /** See {@link MedsaConfig#padBeforeNorm()}. */
        public Builder padBeforeNorm(boolean value) {
            c.padBeforeNorm = value;
            return this;
        }

        /** See {@link MedsaConfig#relNames()}. */
        public Builder relNames(String... value) {
            c.relNames = value.clone();
            return this;
        }

        /** See {@link MedsaConfig#volumetric()}. */
        public Builder volumetric(boolean value) {
            c.volumetric = value;
            return this;
        }

        /** See {@link MedsaConfig#depthMode()}. */
        public Builder depthMode(DepthMode value) {
            c.depthMode = value;
            return this;
        }

        /** See {@link MedsaConfig#chunk()}. */
        public Builder chunk(Integer value) {
            c.chunk = value;
            return this;
        }

        /** See {@link MedsaConfig#decoderAdapters()}. */
        public Builder decoderAdapters(boolean value) {
            c.decoderAdapters = value;
            return this;
        }

        /** See {@link MedsaConfig#decoderWidth()}. */
        public Builder decoderWidth(int value) {
            c.decoderWidth = value;
            return this;
        }

        /** See {@link MedsaConfig#hyperLayers()}. */
        public Builder hyperLayers(int value) {
            c.hyperLayers = value;
            return this;
        }

        /** See {@link MedsaConfig#hyperScale()}. */
        public Builder hyperScale(double value) {
            c.hyperScale = value;
            return this;
        }

        /** See {@link MedsaConfig#decoderMlpScale()}. */
        public Builder decoderMlpScale(double value) {
            c.decoderMlpScale = value;
            return this;
        }

        /** See {@link MedsaConfig#efficientSamDecoder()}. */
        public Builder efficientSamDecoder(boolean value) {
            c.efficientSamDecoder = value;
            return this;
        }

        /** See {@link MedsaConfig#officialMaskOutputs()}. */
        public Builder officialMaskOutputs(boolean value) {
            c.officialMaskOutputs = value;
            return this;
        }

        /** See {@link MedsaConfig#fixedPosEmbedGrid()}. */
        public Builder fixedPosEmbedGrid(boolean value) {
            c.fixedPosEmbedGrid = value;
            return this;
        }

        /** The settings. */
        public MedsaConfig build() {
            return c.copy();
        }
    }
}
