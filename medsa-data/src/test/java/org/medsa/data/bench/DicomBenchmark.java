package org.medsa.data.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.medsa.data.dicom.DicomSeries;
import org.medsa.data.dicom.DicomTestWriter;

/**
 * Slices decoded per second for a CT-like series (512 × 512, int16, air, soft tissue with noise, a
 * bone ring) stored uncompressed and as RLE Lossless — reading the folder into a volume: parse,
 * decode, rescale, sort and place (not a test). Run after {@code mvn test-compile}:
 *
 * <pre>
 * java -cp medsa-data/target/classes:medsa-data/target/test-classes:$(cat cp.txt) org.medsa.data.bench.DicomBenchmark [slices]
 * [runs]
 * </pre>
 * Both encodings are timed alternately in the same run, so the ratio holds on a noisy machine.
 */
public final class DicomBenchmark {

    private DicomBenchmark() {}

    public static void main(String[] args) throws Exception {
        int slices = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int size = 512;
        Path work = Files.createTempDirectory("medsa-dicom-bench");
        Path plain = Files.createDirectories(work.resolve("plain"));
        Path rle = Files.createDirectories(work.resolve("rle"));
        SplittableRandom random = new SplittableRandom(7);
        for (int k = 0; k < slices; k++) {
            short[] stored = new short[size * size];
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    double dx = (x - 256) / 220.0;
                    double dy = (y - 256) / 160.0;
                    double r = Math.sqrt(dx * dx + dy * dy);
                    double hu = r > 1 ? -1000 : r > 0.93 ? 700 + random.nextInt(40) : 40 + random.nextInt(41) - 20;
                    stored[y * size + x] = (short) (hu + 1024);
                }
            }
            DicomTestWriter.Slice s = new DicomTestWriter.Slice("1.2.826.0.1.3680043.10.511.99", "bench", k + 1,
                    new double[] {-150, -150, k * 1.25}, new double[] {1, 0, 0, 0, 1, 0}, 0.6, 0.6, 1.25, size, size, stored, 1,
                            -1024);
            String name = String.format(Locale.ROOT, "IM%04d.dcm", k);
            DicomTestWriter.write(plain.resolve(name), s, true, false);
            DicomTestWriter.write(rle.resolve(name), s, true, true);
        }
        System.out.printf(Locale.ROOT, "%d slices of %dx%d int16: uncompressed %.1f MB, RLE %.1f MB on disk%n", slices, size,
                size,
                bytes(plain) / 1e6, bytes(rle) / 1e6);
        DicomSeries.read(plain, null); // warm-up
        DicomSeries.read(rle, null);
        double bestPlain = Double.MAX_VALUE;
        double bestRle = Double.MAX_VALUE;
        for (int i = 0; i < runs; i++) {
            long t = System.nanoTime();
            DicomSeries.read(plain, null);
            bestPlain = Math.min(bestPlain, (System.nanoTime() - t) / 1e9);
            t = System.nanoTime();
            DicomSeries.read(rle, null);
            bestRle = Math.min(bestRle, (System.nanoTime() - t) / 1e9);
        }
        System.out.printf(Locale.ROOT, "uncompressed: %.0f slices/s (%.3f s for the series, best of %d)%n", slices / bestPlain,
                bestPlain,
                runs);
        System.out.printf(Locale.ROOT, "RLE Lossless: %.0f slices/s (%.3f s)%n", slices / bestRle, bestRle);
        System.out.printf(Locale.ROOT, "RLE / uncompressed throughput: %.2f%n", bestPlain / bestRle);
    }

    private static long bytes(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
