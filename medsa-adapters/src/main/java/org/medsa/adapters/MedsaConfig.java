package org.medsa.adapters;

import org.medsa.core.MedsaException;
import org.medsa.core.nn.Mlp;

import java.util.List;
import java.util.Locale;

/**
 * How SAM is adapted: which adapters exist, their sizes and initialisation, and which of the
 * official code's behaviours to reproduce. Two presets (errata 4): {@code paper} (default) and
 * {@code official-code}. Fields are public so a caller can start from a preset and change one.
 */
public final class MedsaConfig {

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

    /** How the SD-Trans depth branch groups tokens (spec §B.4). */
    public enum DepthMode {
        /** Attention along the true slice axis for every token position, on LN1(x) (our design). */
        CORRECTED,
        /** The official grouping of consecutive leading entries after window partitioning. */
        OFFICIAL_GROUPING
    }

    /** The names {@link #preset(String)} accepts. */
    public static final List<String> PRESET_NAMES = List.of("paper", "official-code");

    /** The recipe these settings started from. */
    public Preset preset = Preset.PAPER;
    /** Encoder adapter bottleneck width; 0 means {@link #encoderRatio} × embed_dim. */
    public int encoderWidth = 64;
    /** Encoder adapter width as a fraction of embed_dim (floored), used when {@link #encoderWidth} is 0. */
    public double encoderRatio = 0.25;
    /** The activation inside every adapter. */
    public Mlp.Activation activation = Mlp.Activation.GELU;
    /** The factor s of the adapter parallel to the MLP. */
    public double mlpScale = 0.5;
    /** How the adapters' up-projections start ({@code paper}: zero; {@code official-code}: PyTorch's default). */
    public Adapter.Init init = Adapter.Init.ZERO_UP;
    /** Official block order: window padding before LN1, so padded tokens carry the LN bias. */
    public boolean padBeforeNorm = false;
    /** Relative-position table names: SAM's, or the official code's {@code rel_h}/{@code rel_w}. */
    public String[] relNames = {"rel_pos_h", "rel_pos_w"};
    /** Build the SD-Trans depth branch (3D); 3D input then needs the slice count at forward time. */
    public boolean volumetric = false;
    /** How the depth branch groups tokens ({@code official-code}: the official grouping). */
    public DepthMode depthMode = DepthMode.CORRECTED;
    /** Official grouping only: slices per group ({@code -chunk}); null = the whole leading axis. */
    public Integer chunk = null;

    /** Decoder adapters (three per two-way block, one of them HyP-Adpt). */
    public boolean decoderAdapters = true;
    /** Decoder adapter bottleneck width. */
    public int decoderWidth = 64;
    /** Number K of prompt-generated weight layers inside HyP-Adpt. */
    public int hyperLayers = 1;
    /** The factor s of HyP-Adpt's output, {@code x + s · up(e_K)}. */
    public double hyperScale = 1.0;
    /** The factor s of the decoder adapter parallel to the token MLP. */
    public double decoderMlpScale = 0.5;

    /** Med-SA's EfficientSAM-style two-way blocks (names and self-attention semantics). */
    public boolean efficientSamDecoder = false;
    /** Med-SA's mask outputs: max(4, n) tokens, masks 0..n−1 whatever the multimask flag. */
    public boolean officialMaskOutputs = false;
    /** Med-SA keeps the absolute position embedding at 1024/patch and resizes it bicubically. */
    public boolean fixedPosEmbedGrid = false;

    /** A preset by name. */
    public static MedsaConfig preset(String name) {
        return preset(Preset.parse(name));
    }

    /** The settings of a preset ({@code paper} is the field defaults). */
    public static MedsaConfig preset(Preset p) {
        MedsaConfig c = new MedsaConfig();
        c.preset = p;
        if (p == Preset.OFFICIAL_CODE) {
            c.encoderWidth = 0;
            c.encoderRatio = 0.25;
            c.init = Adapter.Init.TORCH_DEFAULT;
            c.padBeforeNorm = true;
            c.relNames = new String[] {"rel_h", "rel_w"};
            c.volumetric = true;
            c.depthMode = DepthMode.OFFICIAL_GROUPING;
            c.decoderAdapters = false;
            c.efficientSamDecoder = true;
            c.officialMaskOutputs = true;
            c.fixedPosEmbedGrid = true;
        }
        return c;
    }

    /** The encoder adapter width for an embedding width. */
    public long encoderWidthFor(long dim) {
        return encoderWidth > 0 ? encoderWidth : Adapter.widthFor(dim, encoderRatio);
    }

    /** Whether encoder blocks carry a Depth adapter (the official code always builds them). */
    public boolean hasDepthAdapters() {
        return volumetric || preset == Preset.OFFICIAL_CODE;
    }

    private static final com.google.gson.Gson GSON = new com.google.gson.Gson();

    /** The JSON form of every field (enums by name), as adapter files record it. */
    public com.google.gson.JsonObject toJson() {
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
        } catch (com.google.gson.JsonParseException | IllegalArgumentException e) {
            throw new MedsaException(source + ": unreadable adapter configuration (" + e.getMessage() + ")", e);
        }
    }

    /** A readable summary of the preset and adapter sizes. */
    public String describe() {
        return preset.id() + (volumetric ? " (3D)" : "") + String.format(Locale.ROOT,
                ", encoder adapter width %s, %s, init %s", encoderWidth > 0 ? String.valueOf(encoderWidth)
                        : encoderRatio + "·D", activation, init);
    }
}
