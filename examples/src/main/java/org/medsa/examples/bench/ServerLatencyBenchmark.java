package org.medsa.examples.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.medsa.core.Diagnostics;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.volume.ImageVolume;
import org.medsa.demo.DemoSetup;
import org.medsa.server.SegmentationServer;
import org.medsa.server.ServedModel;

/**
 * Interactive latency through the HTTP API, in one run on one machine: per-click round trips with
 * the slice's embedding cached (p50/p95), the time to the first mask of a slice never seen
 * (encode + decode), and the encoder queue while a person scrolls through slices faster than the
 * encoder keeps up.
 *
 * <pre>java -Dai.djl.offline=true -cp examples/target/medsa.jar org.medsa.examples.bench.ServerLatencyBenchmark [demo|vit_b]
 * [clicks]</pre>
 * {@code vit_b}: ViT-B shapes with random weights at 1024 x 1024 (the latency does not depend on
 * the values), on a 256 x 256 x 8 phantom.
 */
public final class ServerLatencyBenchmark {

    private ServerLatencyBenchmark() {}

    static final HttpClient HTTP = HttpClient.newHttpClient();

    public static void main(String[] args) throws Exception {
        String which = args.length > 0 ? args[0] : "demo";
        int clicks = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        Path work = Files.createTempDirectory("medsa-latency");
        try (NDManager manager = NDManager.newBaseManager()) {
            ServedModel model;
            int size;
            int depth;
            if (which.equals("demo")) {
                model = DemoSetup.model(manager, work.resolve("model"), Diagnostics.none());
                size = 64;
                depth = 32;
            } else {
                Engine.getInstance().setRandomSeed(0);
                Sam sam = new Sam(SamConfig.resolve(which));
                sam.initialize(manager, DataType.FLOAT32);
                model = ServedModel.of(sam, which + " (random weights)");
                size = 256;
                depth = 8;
            }
            Path data = Files.createDirectories(work.resolve("data"));
            ImageVolume v = Phantom.builder().seed(3).size(size, size * 3 / 4, depth).cases(2).validationCases(1)
                    .rendering(Rendering.MR).build().generate(0).volumes().image();
            Path f = data.resolve("p.nii.gz");
            NiftiWriter.write(NiftiImage.of(v, NiftiDatatype.FLOAT32), f);
            try (SegmentationServer server = SegmentationServer.builder(model, manager).dataFolder(data).port(0).lookAhead(false)
                    .build().start()) {
                URI u = server.url();
                String id = post(u, "/api/volumes", "{\"path\": \"p.nii.gz\"}").get("id").getAsString();
                int rows = size;
                int cols = size * 3 / 4;
                int k = depth / 2;
                SplittableRandom r = new SplittableRandom(1);

                long t0 = System.nanoTime();
                post(u, "/api/volumes/" + id + "/segment", click(k, rows / 2, cols / 2));
                double first = (System.nanoTime() - t0) / 1e6;
                System.out.printf(Locale.ROOT, "%s, %d threads: first mask of a new slice (encode + decode): %.1f ms%n",
                        model.description().get("name"), Runtime.getRuntime().availableProcessors(), first);

                for (int i = 0; i < 10; i++) { // warm-up of the decoder path
                    post(u, "/api/volumes/" + id + "/segment", click(k, r.nextInt(rows), r.nextInt(cols)));
                }
                double[] ms = new double[clicks];
                for (int i = 0; i < clicks; i++) {
                    long a = System.nanoTime();
                    post(u, "/api/volumes/" + id + "/segment", click(k, r.nextInt(rows), r.nextInt(cols)));
                    ms[i] = (System.nanoTime() - a) / 1e6;
                }
                Arrays.sort(ms);
                System.out.printf(Locale.ROOT,
                        "click with the embedding cached (%d clicks, HTTP round trip): p50 %.1f ms, p95 %.1f ms,"
                        + " max %.1f ms%n", clicks, ms[clicks / 2], ms[(int) (clicks * 0.95)], ms[clicks - 1]);
                System.out.printf(Locale.ROOT, "ratio first mask / cached click p50: %.0f%n", first / ms[clicks / 2]);
            }
            // scrolling: every slice requested in quick succession with look-ahead on, then a click on the last
            try (SegmentationServer server = SegmentationServer.builder(model, manager).dataFolder(data).port(0).build()
                    .start()) {
                URI u = server.url();
                String id = post(u, "/api/volumes", "{\"path\": \"p.nii.gz\"}").get("id").getAsString();
                long a = System.nanoTime();
                for (int s = 0; s < depth; s++) {
                    get(u, "/api/volumes/" + id + "/slices/2/" + s + ".png");
                    Thread.sleep(20);
                }
                double scroll = (System.nanoTime() - a) / 1e6;
                long b = System.nanoTime();
                post(u, "/api/volumes/" + id + "/segment", click(depth - 1, size / 2, size * 3 / 8));
                double click = (System.nanoTime() - b) / 1e6;
                JsonObject enc = JsonParser.parseString(get(u, "/api/health")).getAsJsonObject().getAsJsonObject("encoder");
                System.out.printf(Locale.ROOT,
                        "scrolled through %d slices in %.0f ms (20 ms apart), then clicked the last: %.1f ms;"
                        + " encoder: %s%n", depth, scroll, click, enc);
            }
        }
    }

    static String click(int k, int u, int v) {
        return "{\"axis\": 2, \"index\": " + k + ", \"points\": [[" + u + ", " + v + ", 1]], \"multimask\": false}";
    }

    static JsonObject post(URI u, String path, String json) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(u.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + ": " + r.statusCode() + " " + r.body());
        }
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    static String get(URI u, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(u.resolve(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + ": " + r.statusCode());
        }
        return r.body();
    }
}
