package org.medsa.server.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.server.SegmentationServer;
import org.medsa.server.ServedModel;

/**
 * Latency of MONAI Label infer calls over HTTP with random weights of a SAM preset (not a test):
 * a session upload, the 2D model's first click on a slice (the slice is encoded), further clicks on
 * it (cached embedding: prompt encoder and decoder only), and the 3D model (every slice encoded and
 * decoded). Run after {@code mvn test-compile}:
 *
 * <pre>
 * mvn -q dependency:build-classpath -pl medsa-server -Dmdep.outputFile=cp.txt
 * java -cp medsa-server/target/classes:medsa-server/target/test-classes:$(cat cp.txt) \
 *     org.medsa.server.bench.MonaiLabelBenchmark vit_b 256 256 8
 * </pre>
 */
public final class MonaiLabelBenchmark {

    private MonaiLabelBenchmark() {}

    public static void main(String[] args) throws Exception {
        String preset = args.length > 0 ? args[0] : "vit_b";
        int nx = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int ny = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        int nz = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        Path dir = Files.createTempDirectory("medsa-bench");
        Random r = new Random(0);
        float[] v = new float[nx * ny * nz];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * 100);
        }
        Path vol = dir.resolve("vol.nii.gz");
        NiftiWriter.write(NiftiImage.of(new ImageVolume(new Grid(nx, ny, nz, Affine.identity()), v), NiftiDatatype.FLOAT32), vol);
        Engine.getInstance().setRandomSeed(0);
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = new Sam(SamConfig.resolve(preset));
            sam.initialize(m, DataType.FLOAT32);
            ServedModel served = new ServedModel(sam, "bench-" + preset, Map.of("name", preset));
            try (SegmentationServer s = SegmentationServer.builder(served, m).port(0).lookAhead(false).build().start()) {
                HttpClient http = HttpClient.newHttpClient();
                String boundary = "benchboundary0123456789";
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                b.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"vol.nii.gz\"\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
                b.write(Files.readAllBytes(vol));
                b.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
                long t = System.nanoTime();
                String body = post(http, s.url().resolve("/session/"), "PUT", boundary, b.toByteArray());
                double upload = (System.nanoTime() - t) / 1e9;
                String sid = body.replaceAll(".*\"session_id\":\"([0-9a-f]+)\".*", "$1");
                int k = nz / 2;
                String click = "{\"label\": \"organ\", \"foreground\": [[" + nx / 2 + ", " + ny / 2 + ", " + k
                        + "]], \"background\": []}";
                double cold = infer(http, s, "medsa_2d", sid, click);
                double[] warm = new double[5];
                for (int i = 0; i < warm.length; i++) {
                    warm[i] = infer(http, s, "medsa_2d", sid, click);
                }
                Arrays.sort(warm);
                double threeD = infer(http, s, "medsa_3d", sid, click);
                System.out.printf(Locale.ROOT, "%s on %dx%dx%d: session upload %.2f s; medsa_2d first click %.2f s, next clicks"
                        + " %.3f s (median of 5); medsa_3d %.2f s (%.2f s per slice)%n", preset, nx, ny, nz, upload, cold,
                        warm[2], threeD, threeD / nz);
            }
        }
    }

    private static double infer(HttpClient http, SegmentationServer s, String model, String sid, String params)
            throws Exception {
        String boundary = "----------lImIt_of_THE_fIle_eW_$";
        byte[] body = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"params\"\r\n\r\n" + params + "\r\n--"
                + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
        long t = System.nanoTime();
        post(http, s.url().resolve("/infer/" + model + "?image=x&session_id=" + sid), "POST", boundary, body);
        return (System.nanoTime() - t) / 1e9;
    }

    private static String post(HttpClient http, URI uri, String method, String boundary, byte[] body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri).header("Content-Type", "multipart/form-data; boundary="
                + boundary).method(method, HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.ISO_8859_1));
        if (r.statusCode() != 200) {
            throw new IllegalStateException(uri + ": " + r.statusCode() + " " + r.body());
        }
        return r.body();
    }
}
