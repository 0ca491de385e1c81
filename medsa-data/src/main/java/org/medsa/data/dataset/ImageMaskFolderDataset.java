package org.medsa.data.dataset;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.RandomAccessDataset;
import ai.djl.training.dataset.Record;
import ai.djl.util.Progress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.medsa.core.MedsaException;
import org.medsa.data.image.Image2D;
import org.medsa.data.image.Image2DReader;
import org.medsa.data.transforms.Sample;
import org.medsa.data.transforms.SampleTransform;

/**
 * 2D images with masks in two folders (fundus, dermoscopy, ultrasound, ...).
 *
 * <h2>Layout and naming rule</h2>
 *
 * <pre>
 * root/images/&lt;stem&gt;.&lt;ext&gt;
 * root/masks/&lt;stem&gt;&lt;suffix&gt;.&lt;ext&gt;                  one mask, or
 * root/masks/&lt;stem&gt;&lt;suffix&gt;_rater&lt;N&gt;.&lt;ext&gt;         one mask per rater (N = 1, 2, ...)
 * </pre>
 *
 * {@code ext} is png, jpg, jpeg, bmp, tif or tiff (case-insensitive; mask and image may differ);
 * {@code suffix} is empty by default ({@link Builder#optMaskSuffix}, e.g. "_Segmentation" for
 * ISIC). An image needs either one plain mask or any number of rater masks, not both.
 *
 * <h2>Targets</h2>
 *
 * Each mask is made binary, then the raters are averaged into a soft target (k of R raters = k/R).
 * A mask pixel is foreground when its label ({@link Image2D#labels()}: palette index, gray value,
 * or mean of R, G, B) is non-zero; for JPEG masks, whose values are blurred by compression, when it
 * is above half the full range. With {@link Builder#optForegroundValue(int)} only that label
 * counts (JPEG: within 1/8 of the full range of it).
 *
 * <h2>Record layout</h2>
 *
 * As {@link MsdDataset} slices: data = NDList[ image float32 (3, H, W), 0..255 (gray repeated,
 * palette looked up, 16-bit scaled by 255/65535) ]; labels = NDList[ target float32 (1, H, W) in
 * [0, 1] ] at the native size (the model's input geometry resizes). Split: {@link
 * Splits#bySeed} over stems. Every image and mask is decoded during {@link Builder#build()} and
 * all problems are thrown together; decoded samples are kept in memory up to a
 * budget.
 */
public final class ImageMaskFolderDataset extends RandomAccessDataset {

    private static final Pattern RATER = Pattern.compile("(.*)_rater(\\d+)$");

    private final List<Entry> entries;
    private final MaskRule rule;
    private final long memoryBudget;
    private final SampleTransform augmentation;
    private final long seed;
    private final Map<String, Sample> memory;
    private long memoryBytes;
    private volatile int epoch;

    private ImageMaskFolderDataset(Builder b, List<Entry> entries, Map<String, Sample> decoded) {
        super(b);
        this.entries = Collections.unmodifiableList(entries);
        this.rule = b.rule();
        this.memoryBudget = b.memoryBudget;
        this.augmentation = b.augmentation;
        this.seed = b.seed;
        this.memory = new LinkedHashMap<>(16, 0.75f, true);
        for (Map.Entry<String, Sample> e : decoded.entrySet()) {
            remember(e.getKey(), e.getValue());
        }
    }

    /** A builder for the dataset in {@code root} (with {@code images/} and {@code masks/}). */
    public static Builder builder(Path root) {
        return new Builder(root);
    }

    /** One image and its masks. */
    public static final class Entry {
        private final String stem;
        private final Path image;
        private final List<Path> masks;
        private final int height;
        private final int width;

        Entry(String stem, Path image, List<Path> masks, int height, int width) {
            this.stem = stem;
            this.image = image;
            this.masks = Collections.unmodifiableList(masks);
            this.height = height;
            this.width = width;
        }

        /** The image file name without its extension. */
        public String stem() {
            return stem;
        }

        /** The image file. */
        public Path image() {
            return image;
        }

        /** One path, or one per rater in rater order. */
        public List<Path> masks() {
            return masks;
        }

        /** Native image height (rows). */
        public int height() {
            return height;
        }

        /** Native image width (cols). */
        public int width() {
            return width;
        }
    }

    @Override
    public Record get(NDManager manager, long index) {
        return Records.toRecord(manager, sample(index), false);
    }

    /** The sample as served (augmented), before it becomes NDArrays. */
    public Sample sample(long index) {
        Entry e = entry(index);
        Sample s = cached(e);
        if (augmentation != null) {
            s = augmentation.apply(s, new Random(Records.sampleSeed(seed, epoch, index)));
        }
        return s;
    }

    /** Image (1, 3, H, W) on 0..255 and soft target (1, H, W) at native size, no augmentation. */
    public Sample raw(long index) {
        List<String> problems = new ArrayList<>();
        Sample s = decode(entry(index), rule, problems);
        if (s == null) {
            throw new MedsaException(String.join("; ", problems));
        }
        return s;
    }

    /** Which image and masks sample {@code index} comes from. */
    public Entry info(long index) {
        return entry(index);
    }

    /** The entries served, in stem order. */
    public List<Entry> entries() {
        return entries;
    }

    /** Changes the augmentation stream: the same (seed, epoch, index) always gives the same sample. */
    public void setEpoch(int epoch) {
        this.epoch = epoch;
    }

    @Override
    protected long availableSize() {
        return entries.size();
    }

    @Override
    public void prepare(Progress progress) {
        // build() decodes and checks everything
    }

    private Entry entry(long index) {
        if (index < 0 || index >= entries.size()) {
            throw new IndexOutOfBoundsException("sample " + index + " of " + entries.size());
        }
        return entries.get((int) index);
    }

    private Sample cached(Entry e) {
        synchronized (memory) {
            Sample s = memory.get(e.stem);
            if (s != null) {
                return s;
            }
        }
        List<String> problems = new ArrayList<>();
        Sample s = decode(e, rule, problems);
        if (s == null) {
            throw new MedsaException(String.join("; ", problems));
        }
        remember(e.stem, s);
        return s;
    }

    private void remember(String stem, Sample s) {
        synchronized (memory) {
            long bytes = 4L * (s.image().length + s.target().length);
            if (memory.put(stem, s) == null) {
                memoryBytes += bytes;
            }
            var it = memory.entrySet().iterator();
            while (memoryBytes > memoryBudget && memory.size() > 1 && it.hasNext()) {
                var eldest = it.next();
                if (eldest.getKey().equals(stem)) {
                    continue;
                }
                memoryBytes -= 4L * (eldest.getValue().image().length + eldest.getValue().target().length);
                it.remove();
            }
        }
    }

    /** Decodes image and masks; returns null after adding problems. */
    static Sample decode(Entry e, MaskRule b, List<String> problems) {
        int before = problems.size();
        Image2D image = null;
        try {
            image = Image2DReader.read(e.image, b.name(e.image));
        } catch (MedsaException ex) {
            problems.add(ex.getMessage());
        }
        List<Image2D> masks = new ArrayList<>();
        for (Path m : e.masks) {
            try {
                Image2D mask = Image2DReader.read(m, b.name(m));
                if (image != null && (mask.height() != image.height() || mask.width() != image.width())) {
                    problems.add(b.name(m) + ": mask is " + mask.height() + "x" + mask.width()
                            + " pixels but the image " + b.name(e.image) + " is " + image.height() + "x" + image.width());
                } else {
                    masks.add(mask);
                }
            } catch (MedsaException ex) {
                problems.add(ex.getMessage());
            }
        }
        if (problems.size() > before || image == null) {
            return null;
        }
        int n = image.height() * image.width();
        float[] target = new float[n];
        for (Image2D mask : masks) {
            int[] labels = mask.labels();
            int max = mask.colorType() == Image2D.ColorType.PALETTE ? 255 : mask.maxSampleValue();
            for (int p = 0; p < n; p++) {
                if (b.isForeground(labels[p], max, mask.isLossy())) {
                    target[p] += 1f;
                }
            }
        }
        for (int p = 0; p < n; p++) {
            target[p] /= masks.size();
        }
        return new Sample(1, 3, image.height(), image.width(), image.toRgb255(), target);
    }

    /** How files are named in messages and which mask labels are foreground (fixed at build time). */
    static final class MaskRule {
        private final Path root;
        private final Integer foregroundValue;

        MaskRule(Path root, Integer foregroundValue) {
            this.root = root;
            this.foregroundValue = foregroundValue;
        }

        String name(Path p) {
            return root.relativize(p).toString();
        }

        boolean isForeground(int label, int max, boolean lossy) {
            if (foregroundValue == null) {
                return lossy ? label > max / 2.0 : label != 0;
            }
            return lossy ? Math.abs(label - foregroundValue) <= max / 8.0 : label == foregroundValue;
        }
    }

    /** Options; {@link #build()} decodes and checks every file. */
    public static final class Builder extends RandomAccessDataset.BaseBuilder<Builder> {
        private final Path root;
        private String maskSuffix = "";
        private Integer foregroundValue;
        private Subset subset = Subset.TRAINING;
        private long seed = 42;
        private double validationFraction = 0.2;
        private SampleTransform augmentation;
        private long memoryBudget = Runtime.getRuntime().maxMemory() / 4;

        private Builder(Path root) {
            this.root = root;
        }

        @Override
        protected Builder self() {
            return this;
        }

        /** Text between the image stem and the mask extension / "_rater" part (default ""). */
        public Builder optMaskSuffix(String suffix) {
            this.maskSuffix = suffix == null ? "" : suffix;
            return this;
        }

        /** Only this mask label is foreground (default: any non-zero label). */
        public Builder optForegroundValue(int value) {
            this.foregroundValue = value;
            return this;
        }

        /** Which cases to serve (default {@link Subset#TRAINING}). */
        public Builder optSubset(Subset s) {
            this.subset = s;
            return this;
        }

        /** Seed of the train/validation split and of the augmentation (default 42). */
        public Builder optSeed(long s) {
            this.seed = s;
            return this;
        }

        /** Share of the images held out for validation, in [0, 1) (default 0.2). */
        public Builder optValidationFraction(double f) {
            this.validationFraction = f;
            return this;
        }

        /** Per-sample random augmentation, seeded by the dataset seed, epoch and index. */
        public Builder optAugmentation(SampleTransform t) {
            this.augmentation = t;
            return this;
        }

        /** Bytes of decoded samples kept in memory (default: a quarter of the max heap). */
        public Builder optMemoryCacheBytes(long bytes) {
            this.memoryBudget = bytes;
            return this;
        }

        MaskRule rule() {
            return new MaskRule(root, foregroundValue);
        }

        String name(Path p) {
            return root.relativize(p).toString();
        }

        /**
         * Finds, decodes and checks every image and mask, then builds the dataset.
         *
         * @throws DatasetValidationException listing every bad or missing file
         */
        public ImageMaskFolderDataset build() {
            if (sampler == null) {
                setSampling(1, false);
            }
            Path images = root.resolve("images");
            Path masks = root.resolve("masks");
            if (!Files.isDirectory(images) || !Files.isDirectory(masks)) {
                throw new MedsaException(root + ": expected folders images/ and masks/ (masks named <stem>"
                        + maskSuffix + ".png or <stem>" + maskSuffix + "_rater<N>.png)");
            }
            List<String> problems = new ArrayList<>();
            Map<String, Path> imageByStem = new TreeMap<>();
            for (Path p : list(images)) {
                String stem = stem(p);
                Path old = imageByStem.put(stem, p);
                if (old != null) {
                    problems.add(name(p) + ": same name as " + name(old) + " (image stems must be unique)");
                }
            }
            Map<String, TreeMap<Integer, Path>> raters = new TreeMap<>();
            Map<String, Path> single = new TreeMap<>();
            for (Path p : list(masks)) {
                String stem = stem(p);
                Matcher m = RATER.matcher(stem);
                if (m.matches()) {
                    Path old = raters.computeIfAbsent(m.group(1), k -> new TreeMap<>())
                            .put(Integer.parseInt(m.group(2)), p);
                    if (old != null) {
                        problems.add(name(p) + ": same rater as " + name(old));
                    }
                } else if (single.put(stem, p) != null) {
                    problems.add(name(p) + ": more than one mask file named " + stem);
                }
            }
            List<Entry> all = new ArrayList<>();
            for (Map.Entry<String, Path> im : imageByStem.entrySet()) {
                String key = im.getKey() + maskSuffix;
                Path one = single.get(key);
                TreeMap<Integer, Path> several = raters.get(key);
                if (one != null && several != null) {
                    problems.add(name(one) + ": both a plain mask and rater masks (" + key + "_rater*) exist for "
                            + name(im.getValue()) + "; keep one kind");
                } else if (one == null && several == null) {
                    problems.add(name(im.getValue()) + ": no mask (expected masks/" + key + ".png or masks/" + key
                            + "_rater1.png ...)");
                } else {
                    List<Path> ms = one != null ? List.of(one) : new ArrayList<>(several.values());
                    all.add(new Entry(im.getKey(), im.getValue(), ms, 0, 0));
                }
            }
            if (imageByStem.isEmpty()) {
                problems.add(name(images) + ": no images (.png, .jpg, .jpeg, .bmp, .tif)");
            }
            List<List<Entry>> split = Splits.bySeed(all, Entry::stem, seed, validationFraction);
            List<Entry> selected = subset == Subset.TRAINING ? split.get(0)
                    : subset == Subset.VALIDATION ? split.get(1) : all;
            // decode everything once: all problems at once, and the samples are cached
            Sample[] decoded = new Sample[selected.size()];
            int[][] nativeSize = new int[selected.size()][];
            @SuppressWarnings({"unchecked", "rawtypes"}) // one list per case, filled in parallel
            List<String>[] perEntry = new List[selected.size()];
            IntStream.range(0, selected.size()).parallel().forEach(i -> {
                List<String> p = new ArrayList<>();
                Sample s = decode(selected.get(i), rule(), p);
                if (s != null) {
                    nativeSize[i] = new int[] {s.height(), s.width()};
                    decoded[i] = s;
                }
                perEntry[i] = p;
            });
            for (List<String> p : perEntry) {
                problems.addAll(p);
            }
            if (!problems.isEmpty()) {
                throw new DatasetValidationException(root.toString(), problems);
            }
            List<Entry> entries = new ArrayList<>();
            Map<String, Sample> keep = new LinkedHashMap<>();
            long bytes = 0;
            for (int i = 0; i < selected.size(); i++) {
                Entry e = selected.get(i);
                entries.add(new Entry(e.stem, e.image, e.masks, nativeSize[i][0], nativeSize[i][1]));
                long b = 4L * (decoded[i].image().length + decoded[i].target().length);
                if (bytes + b <= memoryBudget) {
                    keep.put(e.stem, decoded[i]);
                    bytes += b;
                }
            }
            return new ImageMaskFolderDataset(this, entries, keep);
        }

        private static List<Path> list(Path dir) {
            try (Stream<Path> s = Files.list(dir)) {
                List<Path> out = new ArrayList<>();
                s.filter(Files::isRegularFile).filter(Image2DReader::isImageName).sorted().forEach(out::add);
                return out;
            } catch (IOException e) {
                throw new MedsaException(dir + ": cannot list (" + e.getMessage() + ")", e);
            }
        }

        private static String stem(Path p) {
            String n = p.getFileName().toString();
            int dot = n.lastIndexOf('.');
            return dot > 0 ? n.substring(0, dot) : n;
        }
    }

}
