package org.medsa.data.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.Record;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.medsa.core.geometry.InputGeometry;
import org.medsa.core.geometry.InputProfile;
import org.medsa.core.predictor.RgbImage;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.inspect.Inspector;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.transforms.Sample;

/**
 * Measures decode time and dataset throughput (not a test). Run after {@code mvn test-compile}:
 *
 * <pre>
 * java -cp medsa-data/target/classes:medsa-data/target/test-classes:$(cat cp.txt) org.medsa.data.bench.DataBenchmark
 * </pre>
 */
public final class DataBenchmark {

    private static final Path TEMPLATES = Path.of("/usr/share/mricron/templates");

    public static void main(String[] args) throws IOException {
        Path work = Files.createTempDirectory("medsa-bench");
        Path ch2 = TEMPLATES.resolve("ch2.nii.gz");

        // 1. ch2.nii.gz decode: first (cold JIT) and steady state
        long t = System.nanoTime();
        NiftiImage first = NiftiReader.read(ch2);
        double cold = ms(t);
        double best = Double.MAX_VALUE, total = 0;
        int runs = 10;
        for (int i = 0; i < runs; i++) {
            t = System.nanoTime();
            NiftiReader.read(ch2).toImageVolume();
            double m = ms(t);
            best = Math.min(best, m);
            total += m;
        }
        report("ch2.nii.gz decode (3.5 MB gz -> 7.1 M uint8 voxels), first", cold, "ms");
        report("ch2.nii.gz decode + float conversion, mean of " + runs, total / runs, "ms");
        report("ch2.nii.gz decode + float conversion, best", best, "ms");
        t = System.nanoTime();
        Inspector.inspect(TEMPLATES.resolve("aal.nii.gz"));
        report("inspect aal.nii.gz (decode + stats + label counts)", ms(t), "ms");
        System.out.println("  (voxels: " + first.voxelCount() + ")");

        // 2. phantom generation
        t = System.nanoTime();
        Path phantom = Phantom.builder().seed(1).cases(10).rendering(Rendering.CT).build().writeMsd(work.resolve("phantom"));
        report("phantom: 10 CT cases of 64x48x32 generated and written", ms(t), "ms");

        // 3. slices per second on the phantom
        throughput("phantom slices, native 64x64", MsdDataset.slices(phantom).optSubset(Subset.ALL).build());
        inModelFrame("phantom slices into a 256 SAM input", MsdDataset.slices(phantom).optSubset(Subset.ALL).build(), 256);
        inModelFrame("phantom slices into a 1024 SAM input", MsdDataset.slices(phantom).optSubset(Subset.ALL).build(), 1024);
        throughput("phantom chunks of 8, native", MsdDataset.chunks(phantom, 8).optSubset(Subset.ALL).build());

        // 4. MSD dataset from ch2 + aal
        Path msd = work.resolve("ch2aal");
        Files.createDirectories(msd.resolve("imagesTr"));
        Files.createDirectories(msd.resolve("labelsTr"));
        Files.copy(ch2, msd.resolve("imagesTr/ch2.nii.gz"));
        Files.copy(TEMPLATES.resolve("aal.nii.gz"), msd.resolve("labelsTr/ch2.nii.gz"));
        StringBuilder labels = new StringBuilder("{\"0\": \"background\"");
        for (int v = 1; v <= 116; v++) {
            labels.append(", \"").append(v).append("\": \"region").append(v).append('"');
        }
        Files.writeString(msd.resolve("dataset.json"), "{\"name\": \"ch2-aal\", \"modality\": {\"0\": \"MRI\"}, \"labels\": "
                + labels + "}, \"training\": [{\"image\": \"./imagesTr/ch2.nii.gz\", \"label\": \"./labelsTr/ch2.nii.gz\"}]}");
        t = System.nanoTime();
        MsdDataset real = MsdDataset.slices(msd).optSubset(Subset.ALL).optCacheDirectory(work.resolve("cache")).build();
        report("ch2+aal MSD build (decode both, percentile-normalise, index 116 organs), no cache", ms(t), "ms");
        t = System.nanoTime();
        MsdDataset.slices(msd).optSubset(Subset.ALL).optCacheDirectory(work.resolve("cache")).build();
        report("ch2+aal MSD build again, from the disk cache", ms(t), "ms");
        System.out.println("  (" + real.size() + " organ slices)");
        throughput("ch2+aal slices, native 181x217", real);
        inModelFrame("ch2+aal slices into a 256 SAM input", real, 256);
        inModelFrame("ch2+aal slices into a 1024 SAM input", real, 1024);
    }

    private static void throughput(String what, MsdDataset ds) {
        long n = Math.min(ds.size(), 2000);
        try (NDManager manager = NDManager.newBaseManager()) {
            for (long i = 0; i < Math.min(n, 50); i++) { // warm-up
                try (NDManager m = manager.newSubManager()) {
                    ds.get(m, i);
                }
            }
            long t = System.nanoTime();
            for (long i = 0; i < n; i++) {
                try (NDManager m = manager.newSubManager()) {
                    Record r = ds.get(m, i);
                    r.getData().head().getShape();
                }
            }
            double seconds = (System.nanoTime() - t) / 1e9;
            report(what + " (" + n + " records incl. NDArrays)", n / seconds, "records/s");
        }
    }

    /** Samples brought into a model's frame as the trainer does (quantise, resize, normalise, pad; target too). */
    private static void inModelFrame(String what, MsdDataset ds, int size) {
        InputGeometry g = new InputGeometry(
                InputProfile.SAM, size, new double[] {123.675, 116.28, 103.53}, new double[] {58.395, 57.12, 57.375});
        long n = Math.min(ds.size(), size > 256 ? 300 : 2000);
        long t = System.nanoTime();
        for (long i = 0; i < n; i++) {
            Sample s = ds.sample(i);
            var in = g.prepare(RgbImage.fromPlanes(s.image(), s.channels(), s.height(), s.width()));
            g.target(s.target(), in.frame());
        }
        double seconds = (System.nanoTime() - t) / 1e9;
        report(what + " (" + n + " samples)", n / seconds, "samples/s");
    }

    private static double ms(long start) {
        return (System.nanoTime() - start) / 1e6;
    }

    private static void report(String what, double value, String unit) {
        System.out.println(String.format(Locale.ROOT, "%-90s %10.1f %s", what, value, unit));
    }
}
