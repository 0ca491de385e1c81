package org.medsa.data.dataset;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.transforms.Sample;
import org.medsa.data.transforms.SampleTransform;
import org.medsa.data.transforms.Slicer;
import org.medsa.data.transforms.VolumePipeline;
import org.medsa.data.transforms.VolumeResampler;
import org.medsa.data.transforms.VolumeTransform;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumeFiles;
import org.medsa.data.volume.VolumePair;

/**
 * Volumes in the Medical Segmentation Decathlon layout ({@code dataset.json}, {@code imagesTr/},
 * {@code labelsTr/}; BTCV is distributed this way) served as 2D slices or as chunks of D
 * consecutive slices, with one binary target per organ.
 *
 * <h2>Record layout</h2>
 *
 * Slices ({@link #slices(Path)}):
 *
 * <ul>
 *   <li>{@code getData()} = NDList[ image float32 (3, H, W) ]: the preprocessed slice (in [0, 1]
 *       with the default pipelines, e.g. a windowed CT) times 255, the gray slice repeated to 3
 *       channels, so it is on SAM's 0..255 pixel scale (no resizing or mean/std normalisation:
 *       the model's {@link org.medsa.core.geometry.InputGeometry} does that, the same way in
 *       training and inference);
 *   <li>{@code getLabels()} = NDList[ target float32 (1, H, W) ]: 1 where the label equals this
 *       sample's organ, else 0.
 * </ul>
 *
 * Chunks ({@link #chunks(Path, int)}): image (D, 3, H, W) and target (D, 1, H, W), slice d of the
 * chunk being slice {@code sliceIndex + d} of the volume.
 *
 * <p>H, W are the slice's native size (rows, cols as in {@link Slicer}). {@link #info(long)} gives each sample's metadata and
 * {@link #raw(long)} its values without
 * NDArrays.
 *
 * <h2>Samples</h2>
 *
 * One sample per (case, slice or chunk, organ), in case order, then slice, then organ label. With
 * {@code optSkipEmptySlices(true)} (the default) only samples whose target has at least one
 * foreground voxel are kept. Chunks start at 0, stride, 2 x stride, ... (stride = D by default); a
 * trailing part shorter than D is dropped, as in MSA's validation.
 *
 * <h2>Build</h2>
 *
 * {@link Builder#build()} reads dataset.json, checks every selected case (files present, headers
 * readable, image and label shape, spacing and orientation equal, no NaN, only declared labels),
 * preprocesses each case once (see {@link VolumeCache} for memory and disk caching) and indexes
 * the samples. All problems are collected and thrown together as one {@link
 * DatasetValidationException}. Augmentations run per sample in {@link #get}, seeded by the
 * dataset seed, {@link #setEpoch(int) epoch} and index.
 */
public final class MsdDataset extends RandomAccessDataset {


    private final MsdDescriptor descriptor;
    private final List<MsdCase> cases;
    private final List<String> cacheKeys;
    private final CaseLoader loader;
    private final VolumeCache cache;
    private final int channel;
    private final int axis;
    private final int depth;
    private final boolean chunked;
    private final SampleTransform augmentation;
    private final long seed;
    private final Map<Integer, String> organs;
    private final int[] entryCase;
    private final int[] entryStart;
    private final int[] entryOrgan;
    private final Map<String, Integer> caseIndex = new LinkedHashMap<>();
    private final Grid[] preprocessedGrids;
    private final Grid[] originalGrids;
    private volatile int epoch;

    private MsdDataset(Builder b, MsdDescriptor descriptor, List<MsdCase> cases, Index index,
            List<String> cacheKeys, CaseLoader loader, VolumeCache cache, Map<Integer, String> organs) {
        super(b);
        this.descriptor = descriptor;
        this.cases = Collections.unmodifiableList(cases);
        this.cacheKeys = cacheKeys;
        this.loader = loader;
        this.cache = cache;
        this.channel = b.channel;
        this.axis = b.axis;
        this.depth = b.depth;
        this.chunked = b.chunked;
        this.augmentation = b.augmentation;
        this.seed = b.seed;
        this.organs = Collections.unmodifiableMap(organs);
        this.entryCase = index.caseOf.stream().mapToInt(Integer::intValue).toArray();
        this.entryStart = index.startOf.stream().mapToInt(Integer::intValue).toArray();
        this.entryOrgan = index.organOf.stream().mapToInt(Integer::intValue).toArray();
        this.preprocessedGrids = index.preprocessed;
        this.originalGrids = index.original;
        for (int i = 0; i < cases.size(); i++) {
            caseIndex.put(cases.get(i).caseId(), i);
        }
    }

    /** A builder serving 2D slices. */
    public static Builder slices(Path root) {
        return new Builder(root, false, 1);
    }

    /** A builder serving chunks of {@code depth} consecutive slices (SD-Trans / 3D path). */
    public static Builder chunks(Path root, int depth) {
        if (depth < 1) {
            throw new MedsaException("chunk depth must be >= 1, got " + depth);
        }
        return new Builder(root, true, depth);
    }

    /** {@inheritDoc} Returns the record described in the class comment. */
    @Override
    public Record get(NDManager manager, long index) {
        return Records.toRecord(manager, sample(index), chunked);
    }

    /** The sample as served (augmented), before it becomes NDArrays. */
    public Sample sample(long index) {
        int e = entry(index);
        PreparedCase pc = preparedCase(entryCase[e]);
        Sample s = slab(pc, entryStart[e], entryOrgan[e]);
        if (augmentation != null) {
            s = augmentation.apply(s, new Random(Records.sampleSeed(seed, epoch, index)));
        }
        return s;
    }

    @Override
    protected long availableSize() {
        return entryCase.length;
    }

    /** Nothing to do: {@link Builder#build()} has prepared everything. */
    @Override
    public void prepare(Progress progress) {
        // all work happens in build() so that every problem is reported there
    }

    /** Metadata of sample {@code index}. */
    public SampleInfo info(long index) {
        int e = entry(index);
        int c = entryCase[e];
        Grid g = preprocessedGrids[c];
        int[] hw = Slicer.sliceShape(g, axis);
        MsdCase mc = cases.get(c);
        return new SampleInfo(mc.caseId(), axis, entryStart[e], depth, entryOrgan[e], organs.get(entryOrgan[e]),
                Slicer.sliceSpacing(g, axis), g.spacing()[axis], hw[0], hw[1], g, originalGrids[c],
                mc.image(), mc.label());
    }

    /** Sample {@code index} without NDArrays or augmentation (see {@link RawSample}). */
    public RawSample raw(long index) {
        SampleInfo info = info(index);
        PreparedCase pc = preparedCase(entryCase[entry(index)]);
        int plane = info.height() * info.width();
        float[] image = new float[depth * plane];
        int[] labels = new int[depth * plane];
        for (int z = 0; z < depth; z++) {
            System.arraycopy(Slicer.slice(pc.volumes().image(), axis, info.sliceIndex() + z), 0, image, z * plane, plane);
            System.arraycopy(Slicer.slice(pc.volumes().label(), axis, info.sliceIndex() + z), 0, labels, z * plane, plane);
        }
        return new RawSample(info, image, labels);
    }

    /** Changes the augmentation stream: the same (seed, epoch, index) always gives the same sample. */
    public void setEpoch(int epoch) {
        this.epoch = epoch;
    }

    /** The epoch last set with {@link #setEpoch(int)} (0 at first). */
    public int epoch() {
        return epoch;
    }

    /** The ids of the cases served, in order. */
    public List<String> caseIds() {
        return new ArrayList<>(caseIndex.keySet());
    }

    /** The cases served, in order. */
    public List<MsdCase> cases() {
        return cases;
    }

    /** The preprocessed volumes of a case (from the cache). */
    public PreparedCase preparedCase(String caseId) {
        Integer c = caseIndex.get(caseId);
        if (c == null) {
            throw new MedsaException("no case '" + caseId + "' in this dataset");
        }
        return preparedCase(c);
    }

    /**
     * The case as stored in its files: the chosen channel and the labels at full resolution on the
     * original grid, without any preprocessing. Map predictions made on {@link
     * #preparedCase(String)} onto it with {@link org.medsa.data.transforms.VolumeResampler#toGrid}.
     */
    public VolumePair originalVolumes(String caseId) {
        MsdCase c = cases.get(caseIndexOf(caseId));
        var image = VolumeFiles.read(c.image(), c.imageName(), null).toImageVolume(channel);
        var label = VolumeFiles.read(c.label(), c.labelName(), null).toLabelVolume();
        return new VolumePair(image, label.withGrid(image.grid()));
    }

    /** The grid (shape, affine, spacing, orientation) of the case's original image file. */
    public Grid originalGrid(String caseId) {
        return originalGrids[caseIndexOf(caseId)];
    }

    /**
     * Maps a label volume predicted on the preprocessed grid of a case (see {@link
     * #preparedCase(String)}; assemble slices with {@link Slicer#put}) back onto the grid of the
     * original image file, with nearest-neighbour lookups through the affines. Use it with {@link
     * #originalVolumes(String)} for per-organ 3D metrics at full resolution.
     */
    public LabelVolume toOriginalGrid(String caseId, LabelVolume prediction) {
        return VolumeResampler.toGrid(prediction, originalGrids[caseIndexOf(caseId)]);
    }

    /** Organ label value to name (the organs served; background excluded). */
    public Map<Integer, String> organs() {
        return organs;
    }

    /** The parsed {@code dataset.json}. */
    public MsdDescriptor descriptor() {
        return descriptor;
    }

    /** Slicing axis of the preprocessed volumes. */
    public int axis() {
        return axis;
    }

    /** Slices per sample (1 for slice datasets). */
    public int depth() {
        return depth;
    }

    /** True for a chunk dataset ({@link #chunks(Path, int)}), false for slices. */
    public boolean isChunked() {
        return chunked;
    }

    private int caseIndexOf(String caseId) {
        Integer c = caseIndex.get(caseId);
        if (c == null) {
            throw new MedsaException("no case '" + caseId + "' in this dataset");
        }
        return c;
    }

    private int entry(long index) {
        if (index < 0 || index >= entryCase.length) {
            throw new IndexOutOfBoundsException("sample " + index + " of " + entryCase.length);
        }
        return (int) index;
    }

    private PreparedCase preparedCase(int c) {
        MsdCase mc = cases.get(c);
        PreparedCase pc = cache.get(mc.caseId(), cacheKeys.get(c), () -> {
            List<String> problems = new ArrayList<>();
            PreparedCase loaded = loader.load(mc, problems);
            if (loaded == null) {
                throw new MedsaException(String.join("; ", problems));
            }
            return loaded;
        });
        return pc;
    }

    private Sample slab(PreparedCase pc, int start, int organ) {
        Grid g = pc.volumes().grid();
        int[] hw = Slicer.sliceShape(g, axis);
        int plane = hw[0] * hw[1];
        float[] image = new float[depth * plane];
        float[] target = new float[depth * plane];
        for (int z = 0; z < depth; z++) {
            float[] img = Slicer.slice(pc.volumes().image(), axis, start + z);
            int[] lab = Slicer.slice(pc.volumes().label(), axis, start + z);
            int o = z * plane;
            for (int p = 0; p < plane; p++) {
                image[o + p] = img[p] * 255f;
                target[o + p] = lab[p] == organ ? 1f : 0f;
            }
        }
        return new Sample(depth, 1, hw[0], hw[1], image, target);
    }

    /** Sample index under construction. */
    private static final class Index {
        final List<Integer> caseOf = new ArrayList<>();
        final List<Integer> startOf = new ArrayList<>();
        final List<Integer> organOf = new ArrayList<>();
        final Grid[] preprocessed;
        final Grid[] original;

        Index(int cases) {
            preprocessed = new Grid[cases];
            original = new Grid[cases];
        }
    }

    /** Options; {@link #build()} does all loading and checking. */
    public static final class Builder extends RandomAccessDataset.BaseBuilder<Builder> {
        private final Path root;
        private final boolean chunked;
        private final int depth;
        private Subset subset = Subset.TRAINING;
        private long seed = 42;
        private double validationFraction = 0.2;
        private int axis = 2;
        private int channel;
        private boolean skipEmpty = true;
        private int[] organFilter;
        private VolumeTransform preprocessing;
        private SampleTransform augmentation;
        private int chunkStride;
        private Path cacheDirectory;
        private long memoryBudget = Runtime.getRuntime().maxMemory() / 2;
        private Diagnostics diagnostics = Diagnostics.stderr();

        private Builder(Path root, boolean chunked, int depth) {
            this.root = root;
            this.chunked = chunked;
            this.depth = depth;
        }

        @Override
        protected Builder self() {
            return this;
        }

        /** Which cases to serve (default TRAINING); see {@link Splits} for the rules. */
        public Builder optSubset(Subset s) {
            this.subset = s;
            return this;
        }

        /** Seed of the split (when dataset.json has no validation list) and of augmentations (default 42). */
        public Builder optSeed(long s) {
            this.seed = s;
            return this;
        }

        /** Share of cases for validation when dataset.json has no validation list (default 0.2). */
        public Builder optValidationFraction(double f) {
            this.validationFraction = f;
            return this;
        }

        /** Slicing axis of the preprocessed volume: 0 sagittal, 1 coronal, 2 axial (default, after RAS). */
        public Builder optAxis(int a) {
            if (a < 0 || a > 2) {
                throw new MedsaException("axis must be 0, 1 or 2, got " + a);
            }
            this.axis = a;
            return this;
        }

        /** Where warnings about the data go (default standard error). */
        public Builder optDiagnostics(Diagnostics d) {
            this.diagnostics = d;
            return this;
        }

        /** Which frame of 4D images to use (MSD multi-sequence MRI), default 0. */
        public Builder optChannel(int c) {
            if (c < 0) {
                throw new MedsaException("channel must be >= 0");
            }
            this.channel = c;
            return this;
        }

        /** Keep only samples whose target has foreground (default true). */
        public Builder optSkipEmptySlices(boolean skip) {
            this.skipEmpty = skip;
            return this;
        }

        /** Serve only these organ label values (default: every non-zero label in dataset.json). */
        public Builder optOrgans(int... labels) {
            this.organFilter = labels.clone();
            return this;
        }

        /**
         * Volume preprocessing, cached. Default: {@link VolumePipeline#standard} with {@link
         * Intensity#ct} when dataset.json's modality of the channel is "CT", else with {@link
         * Intensity#mr}. The pipeline must leave the image in [0, 1] (records multiply by 255).
         */
        public Builder optPreprocessing(VolumeTransform t) {
            this.preprocessing = t;
            return this;
        }

        /** Per-sample random augmentation (e.g. {@link org.medsa.data.transforms.SamplePipeline#btcvAugmentation()}). */
        public Builder optAugmentation(SampleTransform t) {
            this.augmentation = t;
            return this;
        }

        /** Distance between chunk starts (default: the depth, i.e. non-overlapping). */
        public Builder optChunkStride(int stride) {
            if (stride < 1) {
                throw new MedsaException("chunk stride must be >= 1");
            }
            this.chunkStride = stride;
            return this;
        }

        /** Directory for the raw-float volume cache (default: memory only). */
        public Builder optCacheDirectory(Path dir) {
            this.cacheDirectory = dir;
            return this;
        }

        /** Bytes of preprocessed volumes kept in memory (default: half the max heap). */
        public Builder optMemoryCacheBytes(long bytes) {
            this.memoryBudget = bytes;
            return this;
        }

        /** Reads, checks, preprocesses and indexes; throws one exception listing every problem. */
        public MsdDataset build() {
            if (sampler == null) {
                setSampling(1, false);
            }
            MsdDescriptor d = MsdDescriptor.read(root);
            List<MsdCase> selected = select(d);
            if (selected.isEmpty()) {
                throw new MedsaException(root + ": no " + subset.name().toLowerCase(Locale.ROOT)
                        + " cases (dataset.json lists " + d.training().size() + " training case(s))");
            }
            Map<Integer, String> organs = organs(d);
            VolumeTransform pipeline = preprocessing != null ? preprocessing
                    : VolumePipeline.standard(d.isCt(channel) ? Intensity.ct() : Intensity.mr());
            CaseLoader loader = new CaseLoader(channel, pipeline, new TreeSet<>(d.labels().keySet()), diagnostics);
            VolumeCache cache = new VolumeCache(cacheDirectory, memoryBudget, diagnostics);
            List<String> keys = new ArrayList<>();
            for (MsdCase c : selected) {
                keys.add(VolumeCache.key(c, channel, pipeline.cacheKey()));
            }
            int stride = chunkStride > 0 ? chunkStride : depth;
            int[] organValues = organs.keySet().stream().mapToInt(Integer::intValue).toArray();
            @SuppressWarnings({"unchecked", "rawtypes"}) // one list per case, filled in parallel
            List<String>[] problems = new List[selected.size()];
            boolean[][][] presence = new boolean[selected.size()][][];
            Grid[] pre = new Grid[selected.size()];
            Grid[] orig = new Grid[selected.size()];
            IntStream.range(0, selected.size()).parallel().forEach(i -> {
                MsdCase c = selected.get(i);
                List<String> p = new ArrayList<>();
                if (loader.check(c, p)) {
                    PreparedCase pc = cache.get(c.caseId(), keys.get(i), () -> loader.load(c, p));
                    if (pc != null) {
                        presence[i] = presence(pc, organValues);
                        pre[i] = pc.volumes().grid();
                        orig[i] = pc.originalGrid();
                    }
                }
                problems[i] = p;
            });
            List<String> all = new ArrayList<>();
            for (List<String> p : problems) {
                all.addAll(p);
            }
            if (!all.isEmpty()) {
                throw new DatasetValidationException(root.toString(), all);
            }
            if (chunked && !selected.isEmpty()) {
                int most = 0;
                for (boolean[][] p : presence) {
                    most = Math.max(most, p.length);
                }
                if (most < depth) {
                    throw new MedsaException(root + ": chunks of " + depth + " slices need that many slices along axis " + axis
                            + ", but the cases have at most " + most);
                }
            }
            Index index = new Index(selected.size());
            for (int c = 0; c < selected.size(); c++) {
                index.preprocessed[c] = pre[c];
                index.original[c] = orig[c];
                boolean[][] present = presence[c];
                int slices = present.length;
                if (chunked && slices < depth) {
                    diagnostics.warn(selected.get(c).caseId() + ": " + slices + " slices along axis " + axis
                            + ", fewer than the chunk depth " + depth + "; no chunks");
                }
                for (int start = 0; start + depth <= slices; start += chunked ? stride : 1) {
                    for (int o = 0; o < organValues.length; o++) {
                        boolean any = false;
                        for (int z = start; z < start + depth && !any; z++) {
                            any = present[z][o];
                        }
                        if (any || !skipEmpty) {
                            index.caseOf.add(c);
                            index.startOf.add(start);
                            index.organOf.add(organValues[o]);
                        }
                    }
                }
            }
            return new MsdDataset(this, d, selected, index, keys, loader, cache, organs);
        }

        private List<MsdCase> select(MsdDescriptor d) {
            List<MsdCase> training;
            List<MsdCase> validation;
            if (d.hasValidationList()) {
                training = d.training();
                validation = d.validation();
            } else {
                List<List<MsdCase>> split = Splits.bySeed(d.training(), MsdCase::caseId, seed, validationFraction);
                training = split.get(0);
                validation = split.get(1);
            }
            switch (subset) {
                case TRAINING: return new ArrayList<>(training);
                case VALIDATION: return new ArrayList<>(validation);
                default: {
                    List<MsdCase> all = new ArrayList<>(training);
                    all.addAll(validation);
                    all.sort(Comparator.comparing(MsdCase::caseId));
                    return all;
                }
            }
        }

        private Map<Integer, String> organs(MsdDescriptor d) {
            Map<Integer, String> out = new LinkedHashMap<>();
            List<Integer> declared = d.organLabels();
            if (organFilter == null) {
                for (int v : declared) {
                    out.put(v, d.labels().get(v));
                }
            } else {
                int[] sorted = organFilter.clone();
                Arrays.sort(sorted);
                for (int v : sorted) {
                    if (!declared.contains(v)) {
                        throw new MedsaException(root.resolve("dataset.json") + ": organ label " + v
                                + " requested but not declared (labels: " + d.labels() + ")");
                    }
                    out.put(v, d.labels().get(v));
                }
            }
            if (out.isEmpty()) {
                throw new MedsaException(root.resolve("dataset.json") + ": no organ labels besides background");
            }
            return out;
        }

        /** presence[slice][organ position]: does the organ occur in that slice along the axis. */
        private boolean[][] presence(PreparedCase pc, int[] organValues) {
            Grid g = pc.volumes().grid();
            int slices = g.size(axis);
            boolean[][] present = new boolean[slices][organValues.length];
            int[] labels = pc.volumes().label().data();
            int nx = g.nx(), ny = g.ny();
            int idx = 0;
            for (int k = 0; k < g.nz(); k++) {
                for (int j = 0; j < ny; j++) {
                    for (int i = 0; i < nx; i++, idx++) {
                        int v = labels[idx];
                        if (v == 0) {
                            continue;
                        }
                        int o = Arrays.binarySearch(organValues, v);
                        if (o >= 0) {
                            present[axis == 0 ? i : axis == 1 ? j : k][o] = true;
                        }
                    }
                }
            }
            return present;
        }
    }
}
