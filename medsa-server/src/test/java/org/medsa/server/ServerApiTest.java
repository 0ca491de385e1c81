package org.medsa.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.io.Hashes;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPrediction;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.core.testing.Fixtures;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.transforms.Slicer;
import org.medsa.data.volume.ImageVolume;
import org.medsa.inference.Propagation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;

/**
 * The HTTP API with the tiny fixture model on non-square phantom volumes and a non-square 2D image:
 * every answer is checked against the library computing the same thing without the server
 * (SamPredictor, VolumeSegmenter, Intensity, the input's NIfTI header), plus every refusal.
 */
class ServerApiTest {

    @TempDir
    static Path tmp;
    static Path data;
    static Path cacheDir;
    static NDManager manager;
    static Sam sam;
    static ServedModel served;
    static SegmentationServer server;
    static HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        data = Files.createDirectories(tmp.resolve("data"));
        Phantom p = Phantom.builder().seed(5).size(40, 28, 12).cases(4).validationCases(1).rendering(Rendering.MR).build();
        for (int i = 0; i < 4; i++) {
            ImageVolume v = p.generate(i).volumes().image();
            Path f = data.resolve(i == 3 ? "nested/deeper/p3.nii.gz" : "p" + i + ".nii.gz");
            NiftiWriter.write(NiftiImage.of(v, NiftiDatatype.FLOAT32), f);
        }
        // a non-square 2D image: 50 wide, 34 high
        BufferedImage img = new BufferedImage(50, 34, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 34; y++) {
            for (int x = 0; x < 50; x++) {
                int g = (x - 20) * (x - 20) + (y - 15) * (y - 15) < 100 ? 220 : 30 + (x + y) % 20;
                img.setRGB(x, y, g << 16 | (g / 2) << 8 | g);
            }
        }
        ImageIO.write(img, "png", data.resolve("photo.png").toFile());
        Files.writeString(tmp.resolve("secret.nii"), "not yours");
        Files.createSymbolicLink(data.resolve("escape.nii"), tmp.resolve("secret.nii"));
        Files.writeString(data.resolve("notes.txt"), "not an image");
        cacheDir = tmp.resolve("emb");
        manager = NDManager.newBaseManager();
        Path cfg = Fixtures.path("sam_tiny", "config.json");
        Path base = Fixtures.path("sam_tiny", "state_dict.pth");
        sam = ModelLoader.of(SamConfig.load(cfg), base).load(manager);
        served = ServedModel.of(sam, "sam_tiny", base);
        server = SegmentationServer.builder(served, manager).dataFolder(data).port(0).cacheDir(cacheDir).maxUploadBytes(200_000)
                .build().start();
    }

    @AfterAll
    static void stop() {
        server.close();
        manager.close();
    }

    record Reply(int status, String type, byte[] body) {
        JsonObject json() {
            return JsonParser.parseString(new String(body)).getAsJsonObject();
        }
    }

    static Reply send(String method, String path, String json) throws Exception {
        return send(server, method, path, json);
    }

    static Reply send(SegmentationServer s, String method, String path, String json) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.url().resolve(path));
        if (json != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    static Reply upload(String name, byte[] bytes) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(server.url().resolve("/api/volumes?name=" + name))
                .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(bytes)).build();
        HttpResponse<byte[]> r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
        return new Reply(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    static String open(String path) throws Exception {
        Reply r = send("POST", "/api/volumes", "{\"path\": \"" + path + "\"}");
        assertEquals(200, r.status(), new String(r.body()));
        return r.json().get("id").getAsString();
    }

    static int[][] pngGray(byte[] png) throws Exception {
        BufferedImage im = ImageIO.read(new ByteArrayInputStream(png));
        int[][] g = new int[im.getHeight()][im.getWidth()];
        for (int y = 0; y < im.getHeight(); y++) {
            for (int x = 0; x < im.getWidth(); x++) {
                g[y][x] = im.getRaster().getSample(x, y, 0);
            }
        }
        return g;
    }

    static void assertError(Reply r, int status, String contains) {
        assertEquals(status, r.status(), new String(r.body()));
        assertTrue(r.type().startsWith("application/json"), r.type());
        String e = r.json().get("error").getAsString();
        assertTrue(e.contains(contains) && !e.contains("\n") && !e.contains("Exception") && !e.contains("at org."), e);
    }

    static ImageVolume volume(String name) {
        return NiftiReader.read(data.resolve(name)).toImageVolume();
    }

    @Test
    void healthAndFiles() throws Exception {
        Reply r = send("GET", "/api/health", null);
        assertEquals(200, r.status());
        JsonObject h = r.json();
        assertEquals("ok", h.get("status").getAsString());
        JsonObject m = h.getAsJsonObject("model");
        assertEquals("sam_tiny", m.get("name").getAsString());
        assertEquals(128, m.get("image_size").getAsInt());
        assertEquals(served.description().get("checkpoint_sha256"), m.get("checkpoint_sha256").getAsString());
        assertEquals(Hashes.sha256(Fixtures.path("sam_tiny", "state_dict.pth")), m.get("checkpoint_sha256").getAsString());
        r = send("GET", "/api/files", null);
        List<String> files = new ArrayList<>();
        r.json().getAsJsonArray("files").forEach(e -> files.add(e.getAsString()));
        // the symbolic link that leaves the folder and the text file are not listed
        assertEquals(List.of("nested/deeper/p3.nii.gz", "p0.nii.gz", "p1.nii.gz", "p2.nii.gz", "photo.png"), files);
    }

    @Test
    void openDescribesTheVolumeAndSlicesAreTheModelsGrayLevels() throws Exception {
        Reply r = send("POST", "/api/volumes", "{\"path\": \"p0.nii.gz\"}");
        assertEquals(200, r.status());
        JsonObject o = r.json();
        assertEquals(Set.of("id", "name", "kind", "shape", "spacing", "default_axis", "axes", "window", "intensity", "dicom"),
                o.keySet());
        assertEquals("volume", o.get("kind").getAsString());
        assertEquals("[40,28,12]", o.get("shape").toString());
        assertEquals("{\"slices\":40,\"rows\":28,\"cols\":12}", o.getAsJsonObject("axes").get("0").toString());
        assertEquals("{\"slices\":28,\"rows\":40,\"cols\":12}", o.getAsJsonObject("axes").get("1").toString());
        assertEquals("{\"slices\":12,\"rows\":40,\"cols\":28}", o.getAsJsonObject("axes").get("2").toString());
        String id = o.get("id").getAsString();
        ImageVolume v = volume("p0.nii.gz");
        double[] w = Intensity.mr().window(v);
        assertEquals(w[0], o.getAsJsonArray("window").get(0).getAsDouble(), 0);
        assertEquals(w[1], o.getAsJsonArray("window").get(1).getAsDouble(), 0);
        // default: exactly the gray levels the model sees (the MR mapping, rounded to bytes)
        float[] norm = Slicer.slice(Intensity.mr().apply(v), 1, 9);
        int[][] g = pngGray(send("GET", "/api/volumes/" + id + "/slices/1/9.png", null).body());
        assertEquals(40, g.length);
        assertEquals(12, g[0].length);
        for (int row = 0; row < 40; row++) {
            for (int col = 0; col < 12; col++) {
                assertEquals(Math.round(Math.min(1, Math.max(0, norm[row * 12 + col])) * 255f), g[row][col], "pixel " + row
                        + "," + col);
            }
        }
        // a window of our own: (value - lo) / (hi - lo), clipped, x 255, rounded; rows along i, columns along k
        Reply wr = send("GET", "/api/volumes/" + id + "/slices/1/9.png?window=10,200", null);
        int[][] gw = pngGray(wr.body());
        for (int row = 0; row < 40; row += 7) {
            for (int col = 0; col < 12; col += 5) {
                double x = (v.get(row, 9, col) - 10) / 190.0;
                assertEquals((int) Math.round(255 * Math.min(1, Math.max(0, x))), gw[row][col]);
            }
        }
        assertError(send("GET", "/api/volumes/" + id + "/slices/1/9.png?window=5,5", null), 400, "window");
        assertError(send("GET", "/api/volumes/" + id + "/slices/1/28.png", null), 400, "slice 28 is outside 0..27 along axis 1");
        assertError(send("GET", "/api/volumes/" + id + "/slices/3/0.png", null), 400, "axis must be 0, 1 or 2");
    }

    /** What SamPredictor says for this prompt on this slice of the volume (MR gray levels, like the server). */
    static SamPrediction direct(ImageVolume v, int axis, int index, Prompt prompt, boolean multimask) {
        int[] hw = Slicer.sliceShape(v.grid(), axis);
        RgbImage img = RgbImage.fromGray(Slicer.slice(Intensity.mr().apply(v), axis, index), hw[0], hw[1]);
        try (SamPredictor pr = new SamPredictor(sam, manager)) {
            pr.setImage(img);
            return pr.predict(prompt, multimask);
        }
    }

    static boolean[] maskOf(JsonObject seg) throws Exception {
        int[][] g = pngGray(Base64.getDecoder().decode(seg.get("mask_png").getAsString()));
        boolean[] m = new boolean[g.length * g[0].length];
        for (int r = 0; r < g.length; r++) {
            for (int c = 0; c < g[0].length; c++) {
                assertTrue(g[r][c] == 0 || g[r][c] == 255);
                m[r * g[0].length + c] = g[r][c] == 255;
            }
        }
        return m;
    }

    /** Two empty masks are equal too: a mask compared with its reference must hold something. */
    static void assertNotEmpty(boolean[] mask, String what) {
        int n = 0;
        for (boolean b : mask) {
            n += b ? 1 : 0;
        }
        assertTrue(n > 0, what + ": the mask is empty");
    }

    @Test
    void segmentEqualsThePredictorAndRefinesWithThePreviousMask() throws Exception {
        String id = open("p1.nii.gz");
        ImageVolume v = volume("p1.nii.gz");
        // axis 0: slices are (j, k) planes, 28 rows x 12 columns; point [u, v] = [j, k]
        Reply r = send("POST", "/api/volumes/" + id + "/segment",
                "{\"axis\": 0, \"index\": 20, \"points\": [[14, 6, 1], [3, 2, 0]], \"box\": null, \"mask_input\": null,"
                        + " \"multimask\": false, \"label\": 2}");
        assertEquals(200, r.status(), new String(r.body()));
        JsonObject seg = r.json();
        assertEquals(Set.of("iou", "area", "mask_png"), seg.keySet());
        SamPrediction want = direct(v, 0, 20, new Prompt().point(6, 14, 1).point(2, 3, 0), false);
        boolean[] got = maskOf(seg);
        assertArrayEquals(want.mask(0), got);
        assertNotEmpty(got, "the clicked structure");
        assertEquals(want.iouPredictions()[0], seg.get("iou").getAsFloat(), 0);
        int area = 0;
        for (boolean b : got) {
            area += b ? 1 : 0;
        }
        assertEquals(area, seg.get("area").getAsInt());
        // the labels of that slice now hold label 2 exactly where the mask is
        int[][] l = pngGray(send("GET", "/api/volumes/" + id + "/labels/0/20.png", null).body());
        for (int q = 0; q < got.length; q++) {
            assertEquals(got[q] ? 2 : 0, l[q / 12][q % 12]);
        }
        // refinement: the same points plus "previous" = the predictor fed the first answer's low-res logits
        r = send("POST", "/api/volumes/" + id + "/segment",
                "{\"axis\": 0, \"index\": 20, \"points\": [[14, 6, 1], [3, 2, 0], [16, 8, 1]], \"mask_input\": \"previous\","
                        + " \"multimask\": false, \"label\": 2}");
        int[] ms = sam.promptEncoder().maskInputSize();
        SamPrediction want2 = direct(v, 0, 20, new Prompt().point(6, 14, 1).point(2, 3, 0).point(8, 16, 1)
                .maskInput(want.lowRes(0), ms[0], ms[1]), false);
        assertArrayEquals(want2.mask(0), maskOf(r.json()));
        assertEquals(want2.iouPredictions()[0], r.json().get("iou").getAsFloat(), 0);
        // no multimask key: like medsa segment, a lone click takes the best of three masks
        r = send("POST", "/api/volumes/" + id + "/segment",
                "{\"axis\": 2, \"index\": 5, \"points\": [[20, 14, 1]], \"label\": 1}");
        SamPrediction three = direct(v, 2, 5, new Prompt().point(14, 20, 1), true);
        assertArrayEquals(three.mask(three.best()), maskOf(r.json()));
    }

    @Test
    void theSamePromptGivesTheSameMaskAsMedsaSegment() throws Exception {
        String id = open("p2.nii.gz");
        Reply r = send("POST", "/api/volumes/" + id + "/segment",
                "{\"axis\": 2, \"index\": 6, \"box\": [8, 5, 30, 20], \"label\": 1}");
        assertEquals(200, r.status(), new String(r.body()));
        SegmentationInput in = SegmentationInput.read(data.resolve("p2.nii.gz"));
        int[] want;
        try (VolumeSegmenter vs = new VolumeSegmenter(sam, manager)) {
            want = vs.segment(in, new VolumePrompts().box(8, 5, 6, 30, 20, 6), VolumeSegmenter.Options.defaults()).labels()
                    .data();
        }
        Path out = tmp.resolve("p2_labels.nii.gz");
        Files.write(out, send("GET", "/api/volumes/" + id + "/labels.nii.gz", null).body());
        NiftiImage got = NiftiReader.read(out);
        NiftiImage src = NiftiReader.read(data.resolve("p2.nii.gz"));
        assertArrayEquals(want, got.toLabelVolume().data());
        assertTrue(Arrays.stream(want).filter(l -> l == 1).count() > 0, "the boxed structure is in the labels");
        assertArrayEquals(src.header().dims(), got.header().dims());
        for (int row = 0; row < 4; row++) {
            assertArrayEquals(src.grid().affine().toRows()[row], got.grid().affine().toRows()[row], 0, "affine row " + row);
        }
        assertEquals(src.header().sformCode(), got.header().sformCode());
        assertError(send("GET", "/api/volumes/" + id + "/labels.png", null), 404, "labels.nii.gz");
    }

    @Test
    void propagationEqualsTheVolumeSegmentersAndUndoTakesItBack() throws Exception {
        String id = open("nested/deeper/p3.nii.gz");
        Reply r = send("POST", "/api/volumes/" + id + "/segment",
                "{\"axis\": 2, \"index\": 6, \"box\": [10, 6, 28, 21], \"label\": 3}");
        assertEquals(200, r.status());
        int[] afterSegment = server.session(id).labels();
        r = send("POST", "/api/volumes/" + id + "/propagate",
                "{\"axis\": 2, \"from\": 6, \"label\": 3, \"direction\": \"both\", \"max_slices\": 3}");
        assertEquals(200, r.status(), new String(r.body()));
        JsonArray slices = r.json().getAsJsonArray("slices");
        SegmentationInput in = SegmentationInput.read(data.resolve("nested/deeper/p3.nii.gz"));
        int[] want;
        try (VolumeSegmenter vs = new VolumeSegmenter(sam, manager)) {
            want = vs.segment(in, new VolumePrompts().box(3, 10, 6, 6, 28, 21, 6), VolumeSegmenter.Options.builder()
                    .propagate(Propagation.Direction.BOTH, 3).build()).labels().data();
        }
        assertArrayEquals(want, server.session(id).labels());
        List<Integer> expected = new ArrayList<>();
        for (int k = 0; k < 12; k++) {
            for (int q = 0; q < 40 * 28; q++) {
                if (want[k * 40 * 28 + q] == 3) {
                    expected.add(k);
                    break;
                }
            }
        }
        List<Integer> got = new ArrayList<>();
        slices.forEach(e -> got.add(e.getAsInt()));
        assertEquals(expected, got);
        assertTrue(got.size() > 1, "propagated beyond the seed: " + got);
        assertTrue(got.get(0) >= 3 && got.get(got.size() - 1) <= 9, "at most 3 slices each way: " + got);

        assertEquals(200, send("POST", "/api/volumes/" + id + "/undo", null).status());
        assertArrayEquals(afterSegment, server.session(id).labels());
        assertEquals(200, send("POST", "/api/volumes/" + id + "/undo", null).status());
        assertEquals(0, Arrays.stream(server.session(id).labels()).sum());
        assertError(send("POST", "/api/volumes/" + id + "/undo", null), 409, "nothing to undo");
        assertError(send("POST", "/api/volumes/" + id + "/propagate", "{\"axis\": 2, \"from\": 6, \"label\": 3}"), 400,
                "nothing to propagate: slice 6 along axis 2 has no pixel of label 3");
        assertError(send("POST", "/api/volumes/" + id + "/propagate",
                "{\"axis\": 2, \"from\": 6, \"label\": 3, \"direction\": \"sideways\"}"),
                400, "direction must be both, up or down");
    }

    @Test
    void twoDimensionalImagesUseXyAndExportPng() throws Exception {
        byte[] bytes = Files.readAllBytes(data.resolve("photo.png"));
        Reply r = upload("photo.png", bytes);
        assertEquals(200, r.status(), new String(r.body()));
        JsonObject o = r.json();
        assertEquals("image", o.get("kind").getAsString());
        assertEquals("[50,34,1]", o.get("shape").toString());
        assertEquals(Set.of("2"), o.getAsJsonObject("axes").keySet());
        String id = o.get("id").getAsString();
        r = send("POST", "/api/volumes/" + id + "/segment", "{\"index\": 0, \"points\": [[20, 15, 1]], \"multimask\": false}");
        assertEquals(200, r.status(), new String(r.body()));
        RgbImage img = RgbImage.fromBufferedImage(ImageIO.read(data.resolve("photo.png").toFile()));
        SamPrediction want;
        try (SamPredictor pr = new SamPredictor(sam, manager)) {
            pr.setImage(img);
            want = pr.predict(new Prompt().point(20, 15, 1), false);
        }
        assertArrayEquals(want.mask(0), maskOf(r.json()));
        assertNotEmpty(want.mask(0), "the clicked region of the photo");
        int[][] exported = pngGray(send("GET", "/api/volumes/" + id + "/labels.png", null).body());
        assertEquals(34, exported.length);
        assertEquals(50, exported[0].length);
        for (int q = 0; q < 50 * 34; q++) {
            assertEquals(want.mask(0)[q] ? 255 : 0, exported[q / 50][q % 50]);
        }
        assertError(send("GET", "/api/volumes/" + id + "/slices/0/0.png", null), 400, "a 2D image has one slice");
        // an upload that is not an image names the upload, not the server's temporary path
        Reply bad = upload("broken.nii.gz", new byte[] {1, 2, 3, 4});
        assertError(bad, 400, "broken.nii.gz");
        assertFalse(bad.json().get("error").getAsString().contains("medsa-uploads"), bad.json().toString());
        assertError(upload("big.nii", new byte[300_000]), 413, "exceeds the limit of 200000 bytes");
        assertError(upload("", new byte[10]), 400, "needs ?name=");
    }

    /**
     * Oversized uploads of 1 to 8 MB all get their 413 answer. The client sends the whole body
     * before it reads the answer; a server that answered without reading the body left it, once in
     * a full test run, a broken pipe instead (a race: not reproduced on demand). The server now
     * reads and discards refused bodies up to {@link SegmentationServer#DRAIN_LIMIT}.
     */
    @Test
    void oversizedUploadsAreAnsweredNotCutOff() throws Exception {
        for (int i = 0; i < 8; i++) { // 1 to 8 MB: more than the sockets' buffers hold
            assertError(upload("big" + i + ".nii", new byte[(i + 1) << 20]), 413, "exceeds the limit of 200000 bytes");
        }
    }

    @Test
    void refusalsAreOneLineJson() throws Exception {
        String id = open("p0.nii.gz");
        String seg = "/api/volumes/" + id + "/segment";
        assertError(send("POST", "/api/volumes", "{\"path\": \"../secret.nii\"}"), 400, "may not contain '..'");
        assertError(send("POST", "/api/volumes", "{\"path\": \"" + tmp.resolve("secret.nii") + "\"}"), 400, "must be relative");
        assertError(send("POST", "/api/volumes", "{\"path\": \"escape.nii\"}"), 404, "no file 'escape.nii'");
        assertError(send("POST", "/api/volumes", "{\"path\": \"missing.nii.gz\"}"), 404, "no file 'missing.nii.gz'");
        assertError(send("POST", "/api/volumes", "{\"path\": \"notes.txt\"}"), 400, "notes.txt: not a supported image");
        assertError(send("POST", "/api/volumes", "{\"nope\": 1}"), 400, "\"path\" is missing");
        assertError(send("POST", "/api/volumes", "not json"), 400, "not valid JSON");
        assertError(send("POST", seg, "{\"axis\": 2, \"index\": 5, \"points\": [[50, 3, 1]]}"), 400,
                "prompt outside the image: point (50,3,5)");
        assertError(send("POST", seg, "{\"axis\": 2, \"index\": 5, \"points\": [[NaN, 3, 1]]}"), 400,
                "points[0] holds a non-finite number");
        assertError(send("POST", seg, "{\"axis\": 2, \"index\": 5, \"points\": [[5, 3, 2]]}"), 400,
                "polarity must be 1 (foreground) or 0 (background), got 2");
        assertError(send("POST", seg, "{\"axis\": 2, \"index\": 5, \"points\": []}"), 400, "no prompt");
        assertError(send("POST", seg, "{\"axis\": 2, \"index\": 5, \"box\": [9, 9, 2, 2]}"), 400,
                "box (9,9,5)-(2,2,5) is reversed");
        assertError(send("POST", seg, "{\"axis\": 2, \"points\": [[5, 3, 1]]}"), 400, "\"index\" is missing");
        assertError(send("POST", seg, "{\"axis\": 2, \"index\": 1.5, \"points\": [[5, 3, 1]]}"), 400, "whole number");
        assertError(send("POST", seg, "{\"axis\": 2, \"index\": 5, \"points\": [[5, 3, 1]], \"label\": 300}"), 400,
                "label must be 1..255");
        assertError(send("POST", seg, "{\"axis\": 2, \"index\": 5, \"points\": [[5, 3, 1]], \"mask_input\": \"last\"}"), 400,
                "mask_input must be \"previous\" or null");
        assertError(send("POST", "/api/volumes/ffff/segment", "{\"index\": 1}"), 404, "no open volume 'ffff'");
        assertError(send("GET", "/api/nothing", null), 404, "no such route");
        // a failed request leaves the labels as they were
        assertEquals(0, Arrays.stream(server.session(id).labels()).sum());
        assertEquals(200, send("DELETE", "/api/volumes/" + id, null).status());
        assertError(send("GET", "/api/volumes/" + id + "/labels/2/0.png", null), 404, "no open volume");
    }

    @Test
    void eightClientsAtOnceGetWhatOneAtATimeGets() throws Exception {
        String[] files = {"p0.nii.gz", "p1.nii.gz", "p2.nii.gz", "nested/deeper/p3.nii.gz"};
        List<String> ids = new ArrayList<>();
        List<String> bodies = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            ids.add(open(files[c % 4]));
            bodies.add("{\"axis\": " + (c % 3) + ", \"index\": " + (3 + c) + ", \"points\": [[" + (5 + c) + ", " + (4 + c % 5)
                    + ", 1]], \"multimask\": false, \"label\": 1}");
        }
        List<String> sequential = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            Reply r = send("POST", "/api/volumes/" + ids.get(c) + "/segment", bodies.get(c));
            assertEquals(200, r.status(), new String(r.body()));
            sequential.add(r.json().get("mask_png").getAsString() + r.json().get("iou"));
            assertEquals(200, send("POST", "/api/volumes/" + ids.get(c) + "/undo", null).status());
        }
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<String>> futures = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                int k = c;
                futures.add(pool.submit(() -> {
                    Reply r = send("POST", "/api/volumes/" + ids.get(k) + "/segment", bodies.get(k));
                    return r.status() + " " + r.json().get("mask_png").getAsString() + r.json().get("iou");
                }));
            }
            for (int c = 0; c < 8; c++) {
                assertEquals("200 " + sequential.get(c), futures.get(c).get());
            }
        } finally {
            pool.shutdown();
        }
        assertNotEquals(sequential.get(0), sequential.get(1));
    }

    @Test
    void aRestartedServerReusesTheDiskCacheAndIdleSessionsAreFreed() throws Exception {
        String id = open("p2.nii.gz");
        String body = "{\"axis\": 1, \"index\": 13, \"points\": [[20, 6, 1]], \"multimask\": false}";
        Reply first = send("POST", "/api/volumes/" + id + "/segment", body);
        assertEquals(200, first.status());
        try (NDManager m2 = NDManager.newBaseManager();
                SegmentationServer again = SegmentationServer.builder(served, m2).dataFolder(data).port(0).cacheDir(cacheDir)
                        .lookAhead(false).idleMillis(1500).build().start()) {
            Reply o = send(again, "POST", "/api/volumes", "{\"path\": \"p2.nii.gz\"}");
            String id2 = o.json().get("id").getAsString();
            Reply second = send(again, "POST", "/api/volumes/" + id2 + "/segment", body);
            assertEquals(first.json().toString(), second.json().toString());
            JsonObject h = send(again, "GET", "/api/health", null).json();
            assertEquals(0, h.getAsJsonObject("encoder").get("encoded").getAsInt(), h.toString());
            assertEquals(1, h.getAsJsonObject("cache").get("disk_hits").getAsInt(), h.toString());
            Thread.sleep(3500);
            assertError(send(again, "GET", "/api/volumes/" + id2, null), 404, "no open volume");
            assertEquals(0, send(again, "GET", "/api/health", null).json().get("sessions").getAsInt());
        }
    }
}
