package org.medsa.data.phantom;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.medsa.core.MedsaException;
import org.medsa.core.Seeds;
import org.medsa.data.dataset.MsdWriter;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiHeader;
import org.medsa.data.nifti.NiftiHeaders;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumePair;

/**
 * A deterministic generator of small synthetic abdominal volumes with labelled organs: the
 * built-in data of the demo and of tests.
 *
 * <pre>{@code
 * Path root = Phantom.builder().seed(7).size(64, 48, 32).cases(10).rendering(Rendering.CT)
 *         .build().writeMsd(dir);
 * }</pre>
 *
 * <p>Each case has a body (an elliptic cylinder) with four organs: liver (1), spleen (2), two
 * kidneys (3) and the spine (4) - deformed ellipsoids whose positions, sizes, rotations and
 * wobble are drawn per case. Edges are soft (each tissue's share of a voxel falls off as a
 * sigmoid over about a voxel), which gives partial-volume intensities; a voxel is labelled with
 * the last-drawn organ covering at least half of it. Intensities, bias field and noise come from
 * the {@link Rendering}; the anatomy and label maps depend only on seed, size, spacing and case
 * index, so CT and MR datasets with the same seed show the same anatomy.
 *
 * <p>Geometry: the volume is centred on the world origin; by default its voxel axes run R, A, S
 * ({@link Builder#orientation(String)} writes other orders, e.g. "LPS", to exercise reorientation).
 * The anatomy is defined in world coordinates, so it is the same whatever the orientation.
 */
public final class Phantom {

    private static final Tissue[] TISSUES = Tissue.values();

    private final long seed;
    private final int[] size;
    private final double[] spacing;
    private final int cases;
    private final int validationCases;
    private final Rendering rendering;
    private final String orientation;

    private Phantom(Builder b) {
        this.seed = b.seed;
        this.size = b.size.clone();
        this.spacing = b.spacing.clone();
        this.cases = b.cases;
        this.validationCases = b.validationCases < 0 ? Math.max(1, Math.round(b.cases / 5f)) : b.validationCases;
        this.rendering = b.rendering;
        this.orientation = b.orientation;
        if (validationCases >= cases) {
            throw new MedsaException("need more cases (" + cases + ") than validation cases (" + validationCases + ")");
        }
    }

    /** A builder with the defaults of {@link Builder}. */
    public static Builder builder() {
        return new Builder();
    }

    /** One generated case. */
    public static final class PhantomCase {
        private final String caseId;
        private final VolumePair volumes;

        PhantomCase(String caseId, VolumePair volumes) {
            this.caseId = caseId;
            this.volumes = volumes;
        }

        /** "phantom_000", "phantom_001", ... */
        public String caseId() {
            return caseId;
        }

        /** Image (HU for CT, arbitrary units for MR; values exactly as written) and labels. */
        public VolumePair volumes() {
            return volumes;
        }
    }

    /** Number of cases, validation cases included. */
    public int caseCount() {
        return cases;
    }

    /** Number of cases listed as validation (the last ones). */
    public int validationCaseCount() {
        return validationCases;
    }

    /** How intensities are rendered. */
    public Rendering rendering() {
        return rendering;
    }

    /** Label value to name, as written to dataset.json. */
    public static Map<Integer, String> labelNames() {
        Map<Integer, String> m = new TreeMap<>();
        for (Tissue t : Tissue.values()) {
            m.putIfAbsent(t.label(), t.labelName());
        }
        return m;
    }

    /** The id of case {@code index}: "phantom_000", "phantom_001", ... */
    public static String caseId(int index) {
        return String.format(Locale.ROOT, "phantom_%03d", index);
    }

    /** The grid every case is generated on. */
    public Grid grid() {
        double[][] rows = new double[3][4];
        int[] worldAxis = new int[3];
        double[] sign = new double[3];
        decode(orientation, worldAxis, sign);
        for (int v = 0; v < 3; v++) {
            rows[worldAxis[v]][v] = sign[v] * spacing[v];
        }
        Affine a = Affine.of(rows);
        double[] centre = a.apply((size[0] - 1) / 2.0, (size[1] - 1) / 2.0, (size[2] - 1) / 2.0);
        return new Grid(size, a.withOrigin(-centre[0], -centre[1], -centre[2]));
    }

    /** Generates case {@code index} (0-based). */
    public PhantomCase generate(int index) {
        if (index < 0 || index >= cases) {
            throw new IndexOutOfBoundsException("case " + index + " of " + cases);
        }
        Grid grid = grid();
        // half field of view per world axis (mm): the anatomy is drawn relative to it
        double[] half = new double[3];
        int[] worldAxis = new int[3];
        double[] sign = new double[3];
        decode(orientation, worldAxis, sign);
        for (int v = 0; v < 3; v++) {
            half[worldAxis[v]] = size[v] * spacing[v] / 2.0;
        }
        double edgeMm = 0.35 * Math.min(spacing[0], Math.min(spacing[1], spacing[2]));
        Anatomy anatomy = new Anatomy(new Random(mix(seed, index, 0)), half, edgeMm);
        Random noise = new Random(mix(seed, index, 1 + rendering.ordinal()));
        double[] bias = biasParameters(new Random(mix(seed, index, 100 + rendering.ordinal())));
        int n = grid.voxelCount();
        float[] image = new float[n];
        int[] labels = new int[n];
        double[] alpha = new double[Tissue.values().length];
        Affine a = grid.affine();
        int idx = 0;
        double[] w = new double[3];
        for (int k = 0; k < size[2]; k++) {
            for (int j = 0; j < size[1]; j++) {
                for (int i = 0; i < size[0]; i++, idx++) {
                    for (int r = 0; r < 3; r++) { // world position without allocating
                        w[r] = a.get(r, 0) * i + a.get(r, 1) * j + a.get(r, 2) * k + a.get(r, 3);
                    }
                    double ux = w[0] / half[0], uy = w[1] / half[1], uz = w[2] / half[2];
                    anatomy.shares(w[0], w[1], w[2], alpha);
                    double value = rendering.intensity(Tissue.AIR);
                    int label = 0;
                    for (Tissue t : TISSUES) {
                        if (t == Tissue.AIR) {
                            continue;
                        }
                        value += alpha[t.ordinal()] * (rendering.intensity(t) - value);
                        if (t.label() != 0 && alpha[t.ordinal()] >= 0.5) {
                            label = t.label();
                        }
                    }
                    value *= biasField(bias, ux, uy, uz);
                    image[idx] = (float) addNoise(value, noise);
                    labels[idx] = label;
                }
            }
        }
        if (rendering.datatype().isInteger()) {
            for (int i = 0; i < n; i++) {
                image[i] = (float) Math.max(-32768, Math.min(32767, Math.rint(image[i])));
            }
        }
        return new PhantomCase(caseId(index), new VolumePair(new ImageVolume(grid, image), new LabelVolume(grid, labels)));
    }

    /**
     * Writes the MSD layout into {@code root}: {@code imagesTr/phantom_NNN.nii.gz},
     * {@code labelsTr/phantom_NNN.nii.gz} (uint8) and {@code dataset.json} with the label names,
     * the modality, the first {@code cases - validationCases} cases as "training" and the rest as
     * "validation". Returns {@code root}.
     */
    public Path writeMsd(Path root) {
        Map<Integer, String> modality = new LinkedHashMap<>();
        modality.put(0, rendering.modality());
        try (MsdWriter w = MsdWriter.create(root, "Phantom-" + rendering, modality, labelNames())) {
            w.description("Synthetic abdomen phantom (" + rendering + " rendering), seed " + seed + ", " + size[0] + "x" + size[1]
                    + "x" + size[2] + " voxels");
            for (int c = 0; c < cases; c++) {
                PhantomCase pc = generate(c);
                NiftiHeader header = NiftiHeaders.forGrid(pc.volumes().grid(), rendering.datatype())
                        .description("Med-SA phantom " + rendering + " seed " + seed).build();
                w.add(pc.caseId(), NiftiImage.create(header, pc.volumes().image().data(), pc.caseId()),
                        NiftiImage.of(pc.volumes().label(), NiftiDatatype.UINT8), c >= cases - validationCases);
            }
            return w.finish();
        }
    }

    private double addNoise(double value, Random rnd) {
        double s = rendering.noiseSigma();
        if (rendering == Rendering.MR) { // magnitude image: Rician noise
            double re = value + s * rnd.nextGaussian();
            double im = s * rnd.nextGaussian();
            return Math.sqrt(re * re + im * im);
        }
        return value + s * rnd.nextGaussian();
    }

    private double[] biasParameters(Random rnd) {
        double gx = rnd.nextGaussian(), gy = rnd.nextGaussian(), gz = rnd.nextGaussian();
        double norm = Math.sqrt(gx * gx + gy * gy + gz * gz) + 1e-12;
        return new double[] {gx / norm, gy / norm, gz / norm, rnd.nextDouble() * 2 * Math.PI, rnd.nextDouble() * 2 * Math.PI};
    }

    private double biasField(double[] p, double ux, double uy, double uz) {
        double s = rendering.biasStrength();
        if (s == 0) {
            return 1.0;
        }
        double linear = p[0] * ux + p[1] * uy + p[2] * uz;
        double wave = Math.sin(Math.PI * 0.8 * ux + p[3]) * Math.cos(Math.PI * 0.7 * uy + p[4]);
        return 1.0 + s * (0.6 * linear + 0.4 * wave);
    }

    private static void decode(String code, int[] worldAxis, double[] sign) {
        String pos = "RAS", neg = "LPI";
        boolean[] used = new boolean[3];
        for (int v = 0; v < 3; v++) {
            char ch = code.charAt(v);
            int w = pos.indexOf(ch);
            sign[v] = 1;
            if (w < 0) {
                w = neg.indexOf(ch);
                sign[v] = -1;
            }
            if (w < 0 || used[w]) {
                throw new MedsaException("bad orientation code '" + code + "' (e.g. RAS, LPS, LAS)");
            }
            used[w] = true;
            worldAxis[v] = w;
        }
    }

    static long mix(long seed, long index, long stream) {
        return Seeds.mix(seed, index, stream, Seeds.PHANTOM_SALT);
    }

    /** Options. Defaults: seed 0, 64x48x32 voxels of 1.5x1.5x2.5 mm, 10 cases (2 validation), CT, RAS. */
    public static final class Builder {
        private long seed;
        private int[] size = {64, 48, 32};
        private double[] spacing = {1.5, 1.5, 2.5};
        private int cases = 10;
        private int validationCases = -1;
        private Rendering rendering = Rendering.CT;
        private String orientation = "RAS";

        private Builder() {}

        /** Seed of the anatomy, noise and bias field (default 0). */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** Volume shape in voxels (default 64x48x32; at least 8x8x1). */
        public Builder size(int nx, int ny, int nz) {
            if (nx < 8 || ny < 8 || nz < 1) {
                throw new MedsaException("phantom size must be at least 8x8x1, got " + nx + "x" + ny + "x" + nz);
            }
            this.size = new int[] {nx, ny, nz};
            return this;
        }

        /** Voxel size in mm (default 1.5 x 1.5 x 2.5). */
        public Builder spacing(double sx, double sy, double sz) {
            if (!(sx > 0 && sy > 0 && sz > 0)) {
                throw new MedsaException("spacing must be positive");
            }
            this.spacing = new double[] {sx, sy, sz};
            return this;
        }

        /** Number of cases, validation cases included (default 10; at least 2). */
        public Builder cases(int n) {
            if (n < 2) {
                throw new MedsaException("a phantom dataset needs at least 2 cases, got " + n);
            }
            this.cases = n;
            return this;
        }

        /** Cases listed as "validation" (the last ones); default round(cases / 5), at least 1. */
        public Builder validationCases(int n) {
            if (n < 0) {
                throw new MedsaException("validation cases must be >= 0");
            }
            this.validationCases = n;
            return this;
        }

        /** How intensities are rendered (default {@link Rendering#CT}). */
        public Builder rendering(Rendering r) {
            this.rendering = r;
            return this;
        }

        /** Voxel axis order written to the files, e.g. "RAS" (default), "LPS", "LAS". */
        public Builder orientation(String code) {
            decode(code.toUpperCase(Locale.ROOT), new int[3], new double[3]);
            this.orientation = code.toUpperCase(Locale.ROOT);
            return this;
        }

        /**
         * The generator.
         *
         * @throws MedsaException if there are not more cases than validation cases
         */
        public Phantom build() {
            return new Phantom(this);
        }
    }
}
