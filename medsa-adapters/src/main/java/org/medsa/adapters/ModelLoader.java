package org.medsa.adapters;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.geometry.InputProfile;
import org.medsa.core.io.pth.TorchCheckpoint;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.nn.ComputePrecision;

/**
 * Builds a model and loads its weights the one way every tool does: plain SAM from a checkpoint,
 * Med-SA with adapters — their preset, settings and input profile read from the adapter file, so
 * adapters always run on the geometry they were trained on — or Med-SA with fresh adapters for
 * training ({@link #loadMedsa}). The config given is never changed.
 *
 * <pre>{@code
 * Sam model = ModelLoader.of(SamConfig.preset("vit_b"), Path.of("sam_vit_b_01ec64.pth"))
 *         .adapterWeights(Path.of("runs/btcv/adapters_best.pth"))
 *         .load(manager);
 * }</pre>
 */
public final class ModelLoader {

    private final SamConfig config;
    private final Sam2Config sam2Config;
    private final Path checkpoint;
    private String preset;
    private MedsaConfig adapterConfig;
    private Path adapterWeights;
    private InputProfile inputProfile;
    private boolean allowBaseMismatch;
    private boolean volumetric;
    private boolean trainMemory;
    private Diagnostics notes = Diagnostics.none();
    private ComputePrecision precision = ComputePrecision.FP32;

    private ModelLoader(SamConfig config, Sam2Config sam2Config, Path checkpoint) {
        this.config = config;
        this.sam2Config = sam2Config;
        this.checkpoint = checkpoint;
    }

    /** A loader for {@code config} (a preset or file, see {@link SamConfig#resolve}) and the base weights. */
    public static ModelLoader of(SamConfig config, Path checkpoint) {
        return new ModelLoader(config, null, checkpoint);
    }

    /**
     * A loader for a model of either family named by a preset or a config file: SAM 2's presets
     * ({@link Sam2Config#PRESETS}) and config files with a {@code trunk} give SAM 2 ({@link
     * #loadModel}); the others SAM, as {@link #of} does.
     *
     * @throws MedsaException naming the preset or file when it is neither
     */
    public static ModelLoader forModel(String presetOrConfig, Path checkpoint) {
        if (isSam2(presetOrConfig)) {
            return new ModelLoader(null, Sam2Config.resolve(presetOrConfig), checkpoint);
        }
        return new ModelLoader(SamConfig.resolve(presetOrConfig), null, checkpoint);
    }

    /** True if {@code presetOrConfig} names a SAM 2 model (a SAM 2 preset, or a config file with a {@code trunk}). */
    public static boolean isSam2(String presetOrConfig) {
        return Sam2Config.describes(presetOrConfig);
    }

    /**
     * A loader of a SAM with the official random initialisation (seeded by the engine's generator,
     * {@code Seeds.seedEngineForRun}), for training every weight from scratch.
     */
    public static ModelLoader untrained(SamConfig config) {
        return new ModelLoader(config, null, null);
    }

    /** Builds Med-SA with this adapter preset ({@code paper} or {@code official-code}); null or unset: plain SAM. */
    public ModelLoader adapters(String presetName) {
        this.preset = presetName;
        return this;
    }

    /** Builds Med-SA with these adapter settings (a preset with other sizes, a depth); null: see {@link #adapters(String)}. */
    public ModelLoader adapters(MedsaConfig settings) {
        this.adapterConfig = settings;
        this.preset = settings == null ? null : settings.preset().id();
        return this;
    }

    /** Loads trained adapters (null: none); the preset and adapter settings come from the file when not given. */
    public ModelLoader adapterWeights(Path file) {
        this.adapterWeights = file;
        return this;
    }

    /**
     * Sets the input profile. With adapter weights it must equal the profile they were trained on
     * (leave it unset to take theirs); without, it overrides the config's.
     */
    public ModelLoader inputProfile(InputProfile profile) {
        this.inputProfile = profile;
        return this;
    }

    /**
     * The input profile by name ({@code sam}, {@code medsam}, {@code msa-compat}); null leaves it
     * unset, as the command line's optional flag does.
     *
     * @throws MedsaException for an unknown name
     */
    public ModelLoader inputProfile(String name) {
        return inputProfile(name == null ? null : InputProfile.parse(name));
    }

    /** Builds the SD-Trans depth branch (3D) even if the adapter file does not ask for it. */
    public ModelLoader volumetric(boolean v) {
        this.volumetric = v;
        return this;
    }

    /** SAM 2 with adapters: the memory attention and memory encoder train too (adapter files say it themselves). */
    public ModelLoader trainMemory(boolean t) {
        this.trainMemory = t;
        return this;
    }

    /** Loads adapter weights trained on another base checkpoint (by SHA-256) instead of refusing them. */
    public ModelLoader allowBaseMismatch(boolean allow) {
        this.allowBaseMismatch = allow;
        return this;
    }

    /**
     * The arithmetic of the image encoder's blocks (default fp32, exact to the official code; bf16
     * faster where the hardware has it, see {@link ComputePrecision}); SAM 2 models take fp32 or
     * bf16 (their Hiera trunk and memory attention).
     */
    public ModelLoader precision(ComputePrecision p) {
        this.precision = p;
        return this;
    }

    private <T extends Sam> T withPrecision(T sam) {
        sam.imageEncoder().computeType(precision.dataType());
        if (precision != ComputePrecision.FP32) {
            notes.note("precision: the image encoder's blocks compute in " + precision.id());
        }
        return sam;
    }

    /** Receives one line per notable thing the load did (what was loaded, what kept its initial values). */
    public ModelLoader notes(Diagnostics sink) {
        this.notes = sink;
        return this;
    }

    /**
     * Builds a model of either family ({@link #forModel}) and loads its weights into {@code
     * manager}: SAM (with adapters when asked, as {@link #load}) or SAM 2, which runs without
     * adapters here.
     *
     * @throws MedsaException for adapter or input-profile options given to SAM 2, or a checkpoint
     *     that does not fit
     */
    public PromptableModel loadModel(NDManager manager) {
        if (sam2Config == null) {
            return load(manager);
        }
        if (volumetric) {
            throw new MedsaException(sam2Config.source + " is a SAM 2 model: it has no SD-Trans; its memory joins the slices");
        }
        if (inputProfile != null) {
            throw new MedsaException(sam2Config.source + " is a SAM 2 model: it always takes SAM 2's frame transform;"
                    + " the input profile applies to SAM models");
        }
        if (checkpoint == null) {
            throw new MedsaException("SAM 2 needs its weights: give the checkpoint");
        }
        precision.forSam2();
        requireFile(checkpoint);
        if (preset != null || adapterWeights != null || adapterConfig != null) {
            return loadMedsaSam2(manager);
        }
        if (trainMemory) {
            throw new MedsaException("--train-memory applies to SAM 2 with adapters");
        }
        Sam2Model m = Sam2Model.load(sam2Config, checkpoint, manager);
        m.computeType(precision.dataType());
        notes.note("model: " + m.describe() + " from " + checkpoint
                + (precision == ComputePrecision.FP32 ? "" : "; its trunk and memory attention compute in " + precision.id()));
        return m;
    }

    /**
     * SAM 2 with Med-SA's adapters ({@link MedsaSam2Model}): the adapter settings and memory training
     * from the adapter file when there is one, else from {@link #adapters} and {@link #trainMemory};
     * the base weights, then the adapter weights.
     */
    public MedsaSam2Model loadMedsaSam2(NDManager manager) {
        if (sam2Config == null) {
            throw new MedsaException(config.source + " is a SAM model; this builds SAM 2 with adapters");
        }
        MedsaCheckpoints.AdapterFileInfo info = adapterInfo();
        if (info != null && !info.family().equals("sam2")) {
            throw new MedsaException(adapterWeights + ": adapters of a SAM model cannot load into SAM 2 " + sam2Config.source);
        }
        if (preset == null && info == null) {
            throw new MedsaException("no adapters to build: give an adapter preset or adapter weights");
        }
        MedsaConfig mc = adapterConfig != null ? adapterConfig
                : info != null && info.medsaConfig() != null ? info.medsaConfig() : MedsaConfig.preset(preset);
        boolean memory = info != null ? info.trainMemory() : trainMemory;
        MedsaSam2Model m = MedsaSam2Model.load(sam2Config, mc, memory, checkpoint, manager);
        if (adapterWeights != null) {
            long step = MedsaCheckpoints.loadAdapters(m, adapterWeights, checkpoint, manager, allowBaseMismatch);
            notes.note("adapters: " + adapterWeights + " (step " + step + ")");
        }
        m.computeType(precision.dataType());
        notes.note("model: " + m.describe() + " from " + checkpoint + " with " + mc.describe() + " adapters"
                + (memory ? ", memory modules trained" : ""));
        return m;
    }

    /** Builds the model, loads its weights into {@code manager} and returns it (frozen but for adapters). */
    public Sam load(NDManager manager) {
        return withPrecision(build(manager));
    }

    private Sam build(NDManager manager) {
        if (sam2Config != null) {
            throw new MedsaException(sam2Config.source + " is a SAM 2 model; this works with SAM models (vit_b, vit_l,"
                    + " vit_h or a SAM config file) — SAM 2 models segment volumes (segment, serve, batch)");
        }
        MedsaCheckpoints.AdapterFileInfo info = adapterInfo();
        SamConfig cfg = config.withInputProfile(resolveProfile(info));
        if (checkpoint == null) {
            if (preset != null || adapterWeights != null) {
                throw new MedsaException("an untrained SAM has no base weights for adapters: load a checkpoint to adapt it");
            }
            Sam sam = new Sam(cfg);
            sam.initialize(manager, DataType.FLOAT32);
            return sam;
        }
        if (preset == null && info == null) {
            return Sam.load(cfg, checkpoint, manager);
        }
        return loadMedsa(cfg, info, manager);
    }

    /**
     * Builds Med-SA with the adapters set by {@link #adapters} (or read from the adapter file), loads
     * the base weights and any adapter weights, and returns it ready for training its adapters.
     *
     * @throws MedsaException if no adapters were asked for, or a file is missing or does not fit
     */
    public MedsaModel loadMedsa(NDManager manager) {
        MedsaCheckpoints.AdapterFileInfo info = adapterInfo();
        if (preset == null && info == null) {
            throw new MedsaException("no adapters to build: give an adapter preset or adapter weights");
        }
        return withPrecision(loadMedsa(config.withInputProfile(resolveProfile(info)), info, manager));
    }

    /**
     * Loads adapter weights written for {@code base} into a built model (e.g. a run's best adapters
     * after training).
     *
     * @return the training step the file records
     * @throws MedsaException if the file does not fit the model or was trained on another base
     */
    public static long loadAdapterWeights(AdaptedModel model, Path file, Path base, NDManager manager) {
        requireFile(file);
        return MedsaCheckpoints.loadAdapters(model, file, base, manager, false);
    }

    private MedsaCheckpoints.AdapterFileInfo adapterInfo() {
        if (checkpoint != null) {
            requireFile(checkpoint);
        }
        if (adapterWeights == null) {
            return null;
        }
        requireFile(adapterWeights);
        MedsaCheckpoints.AdapterFileInfo info = MedsaCheckpoints.readInfo(adapterWeights);
        if (preset != null && !MedsaConfig.Preset.parse(preset).id().equals(info.preset())) {
            throw new MedsaException(adapterWeights + ": adapters of preset '" + info.preset() + "' cannot load into a '"
                    + MedsaConfig.Preset.parse(preset).id() + "' model (use --adapters " + info.preset() + ")");
        }
        return info;
    }

    /**
     * Checks a weights file before anything is loaded.
     *
     * @throws MedsaException in one line for a missing file or a folder
     */
    public static void requireFile(Path file) {
        if (Files.isDirectory(file)) {
            throw new MedsaException(file + ": is a folder; give the checkpoint file in it");
        }
        if (!Files.isRegularFile(file)) {
            throw new MedsaException(file + ": no such file");
        }
    }

    private MedsaModel loadMedsa(SamConfig cfg, MedsaCheckpoints.AdapterFileInfo info, NDManager manager) {
        if (checkpoint == null) {
            throw new MedsaException("Med-SA needs base weights: give the base checkpoint");
        }
        MedsaConfig mc;
        if (info != null && info.medsaConfig() != null) {
            mc = info.medsaConfig();
        } else if (adapterConfig != null) {
            mc = adapterConfig;
        } else {
            mc = MedsaConfig.preset(info != null ? info.preset() : preset);
            if (info != null && info.volumetric()) {
                mc = mc.toBuilder().volumetric(true).build();
            }
        }
        if (volumetric && !mc.volumetric()) {
            mc = mc.toBuilder().volumetric(true).build();
        }
        MedsaModel m = new MedsaModel(cfg, mc);
        MedsaCheckpoints.BaseLoad base = MedsaCheckpoints.loadBase(m, checkpoint, manager);
        if (adapterWeights != null) {
            long step = MedsaCheckpoints.loadAdapters(m, adapterWeights, checkpoint, manager, allowBaseMismatch);
            notes.note("adapters: " + adapterWeights + " (step " + step + ", input profile " + cfg.inputProfile + ")");
        } else if (!base.containedAdapters()) {
            notes.note("note: no adapter weights given; adapters keep their initial values"
                    + (mc.init() == Adapter.Init.ZERO_UP ? " (zero up-projections: the model equals SAM)" : ""));
        }
        return m;
    }

    /**
     * The profile the weights were trained on: the adapter file's, else the one a checkpoint written
     * by this library records, else the config's; an explicit profile may only confirm it.
     */
    private InputProfile resolveProfile(MedsaCheckpoints.AdapterFileInfo info) {
        InputProfile recorded = null;
        String where = null;
        if (info != null && info.modelConfig() != null) {
            recorded = info.modelConfig().inputProfile();
            where = adapterWeights + ": these adapters were trained";
        } else {
            SamConfig base = checkpoint == null ? null : recordedConfig(checkpoint);
            if (base != null) {
                recorded = base.inputProfile();
                where = checkpoint + ": this model was trained";
            }
        }
        if (inputProfile != null && recorded != null && inputProfile != recorded) {
            throw new MedsaException(where + " on input profile '" + recorded + "', not '" + inputProfile
                    + "'; a model only works on the geometry it was trained on (drop the input profile option)");
        }
        if (inputProfile != null) {
            return inputProfile;
        }
        return recorded != null ? recorded : config.inputProfile();
    }

    /** The model config a full checkpoint written by this library ({@code medsa-sam}) records, else null. */
    private static SamConfig recordedConfig(Path file) {
        try (TorchCheckpoint c = TorchCheckpoint.open(file)) {
            if (c.root() instanceof Map<?, ?> root && "medsa-sam".equals(root.get("format"))
                    && root.get("model_config") instanceof String s) {
                return SamConfig.fromJson(JsonParser.parseString(s), file + " (model_config)");
            }
            return null;
        }
    }
}
