package org.medsa.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.testing.Fixtures;
import org.medsa.data.dicom.DicomDataset;
import org.medsa.data.dicom.TestSeries;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiHeaders;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.nrrd.NrrdReader;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.inference.Propagation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;

/**
 * The MONAI Label routes, driven with exactly the bytes its clients send: the Slicer module's
 * hand-made multipart bodies ({@code MONAILabelUtils.encode_multipart_formdata}: its fixed boundary,
 * {@code params} first, then files named by their full path), Python {@code requests}' bodies for
 * sessions ({@code files} parts without a Content-Type), and OHIF's query ({@code output=image}).
 * Answers are parsed the way the clients parse them and checked against the library computing the
 * same thing without the server: {@link VolumeSegmenter} on the same clicks, the NIfTI's affine.
 */
class MonaiLabelProtocolTest {

    /** The Slicer client's boundary. */
    static final String SLICER_BOUNDARY = "----------lImIt_of_THE_fIle_eW_$";

    @TempDir
    static Path tmp;
    static Path data;
    static Path volumeFile;
    static NDManager manager;
    static Sam sam;
    static ServedModel served;
    static SegmentationServer server;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    /** A non-square phantom (40 x 28 x 12) on an oblique, anisotropic grid. */
    @BeforeAll
    static void start() throws Exception {
        data = Files.createDirectories(tmp.resolve("data"));
        Phantom p = Phantom.builder().seed(5).size(40, 28, 12).cases(2).validationCases(1).rendering(Rendering.MR).build();
        ImageVolume v = p.generate(0).volumes().image();
        double c = Math.cos(Math.toRadians(25));
        double s = Math.sin(Math.toRadians(25));
        Affine oblique = Affine.of(new double[][] {{0.8 * c, -0.9 * s, 0, -20.5}, {0.8 * s, 0.9 * c, 0.3, 11.25},
            {0, 0, 2.5, -7}, {0, 0, 0, 1}});
        Grid g = new Grid(40, 28, 12, oblique);
        volumeFile = data.resolve("p0.nii.gz");
        NiftiWriter.write(NiftiImage.create(NiftiHeaders.forGrid(g, NiftiDatatype.FLOAT32).build(), v.data(), "p0"), volumeFile);
        NiftiWriter.write(NiftiImage.of(p.generate(1).volumes().image(), NiftiDatatype.FLOAT32), data.resolve("p1.nii.gz"));
        manager = NDManager.newBaseManager();
        Path cfg = Fixtures.path("sam_tiny", "config.json");
        Path base = Fixtures.path("sam_tiny", "state_dict.pth");
        sam = ModelLoader.of(SamConfig.load(cfg), base).load(manager);
        served = ServedModel.of(sam, "sam_tiny", base);
        server = SegmentationServer.builder(served, manager).dataFolder(data).port(0).maxUploadBytes(3_000_000).build().start();
    }

    @AfterAll
    static void stop() {
        server.close();
        manager.close();
    }

    record Reply(int status, String type, Map<String, String> headers, byte[] body) {
        JsonObject json() {
            return JsonParser.parseString(new String(body, StandardCharsets.UTF_8)).getAsJsonObject();
        }
    }

    static Reply send(SegmentationServer s, String method, String path, String contentType, byte[] body, String token)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(s.url().resolve(path));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        HttpResponse<byte[]> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        Map<String, String> h = new LinkedHashMap<>();
        r.headers().map().forEach((k, v) -> h.put(k.toLowerCase(), v.get(0)));
        return new Reply(r.statusCode(), h.getOrDefault("content-type", ""), h, r.body());
    }

    static Reply get(String path) throws Exception {
        return send(server, "GET", path, null, null, null);
    }

    /** {@code MONAILabelUtils.encode_multipart_formdata(fields, files)}: its lines joined by CRLF. */
    static byte[] slicerMultipart(Map<String, String> fields, Map<String, Path> files) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Object> lines = new ArrayList<>();
        for (Map.Entry<String, String> f : fields.entrySet()) {
            lines.add("--" + SLICER_BOUNDARY);
            lines.add("Content-Disposition: form-data; name=\"" + f.getKey() + "\"");
            lines.add("");
            lines.add(f.getValue());
        }
        for (Map.Entry<String, Path> f : files.entrySet()) {
            lines.add("--" + SLICER_BOUNDARY);
            lines.add("Content-Disposition: form-data; name=\"" + f.getKey() + "\"; filename=\"" + f.getValue() + "\"");
            lines.add("Content-Type: application/octet-stream"); // mimetypes.guess_type("x.nii.gz")[0] is None
            lines.add("");
            lines.add(Files.readAllBytes(f.getValue()));
        }
        lines.add("--" + SLICER_BOUNDARY + "--");
        lines.add("");
        for (Object l : lines) {
            out.write(l instanceof byte[] b ? b : ((String) l).getBytes(StandardCharsets.UTF_8));
            out.write(new byte[] {'\r', '\n'});
        }
        return out.toByteArray();
    }

    /** Python requests' {@code put(url, files=[("files", (name, fh))], data={"client_id": None})}: None fields are dropped. */
    static byte[] requestsMultipart(String boundary, String field, Path file) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\""
                + file.getFileName() + "\"\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        out.write(Files.readAllBytes(file));
        out.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    static String createSession(SegmentationServer s, Path file) throws Exception {
        String boundary = "3f1b2c4d5e6f708192a3b4c5d6e7f809";
        Reply r = send(s, "PUT", "/session/", "multipart/form-data; boundary=" + boundary, requestsMultipart(boundary, "files",
                file), null);
        assertEquals(200, r.status(), new String(r.body()));
        JsonObject j = r.json();
        assertTrue(j.getAsJsonObject("session_info").has("expiry"), j.toString());
        return j.get("session_id").getAsString();
    }

    /** {@code MONAILabelClient.infer}: the selector, then the Slicer multipart with params only. */
    static Reply infer(SegmentationServer s, String model, String image, String sessionId, String params, String output)
            throws Exception {
        String sel = "/infer/" + URLEncoder.encode(model, StandardCharsets.UTF_8) + "?image="
                + URLEncoder.encode(image, StandardCharsets.UTF_8) + (sessionId == null ? "" : "&session_id=" + sessionId)
                + (output == null ? "" : "&output=" + output);
        return send(s, "POST", sel, "multipart/form-data; boundary=" + SLICER_BOUNDARY,
                slicerMultipart(Map.of("params", params), Map.of()), null);
    }

    /** The client's {@code parse_multipart}: fields by name, files by file name. */
    record Parts(Map<String, String> form, Map<String, byte[]> files) {}

    static Parts parse(Reply r) {
        Matcher m = Pattern.compile("boundary=([^;]+)").matcher(r.type());
        assertTrue(r.type().startsWith("multipart/form-data") && m.find(), r.type());
        String body = new String(r.body(), StandardCharsets.ISO_8859_1);
        Map<String, String> form = new LinkedHashMap<>();
        Map<String, byte[]> files = new LinkedHashMap<>();
        String[] chunks = body.split(Pattern.quote("--" + m.group(1)));
        for (String chunk : chunks) {
            if (chunk.isEmpty() || chunk.startsWith("--")) {
                continue;
            }
            int headEnd = chunk.indexOf("\r\n\r\n");
            String head = chunk.substring(2, headEnd);
            String content = chunk.substring(headEnd + 4, chunk.length() - 2);
            Matcher name = Pattern.compile("name=\"([^\"]*)\"").matcher(head);
            Matcher fileName = Pattern.compile("filename=\"([^\"]*)\"").matcher(head);
            assertTrue(name.find(), head);
            if (fileName.find()) {
                files.put(fileName.group(1), content.getBytes(StandardCharsets.ISO_8859_1));
            } else {
                form.put(name.group(1), new String(content.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8));
            }
        }
        return new Parts(form, files);
    }

    static NiftiImage readResult(Path dir, String name, byte[] bytes) throws Exception {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return name.endsWith(".nrrd") ? NrrdReader.read(f, name) : NiftiReader.read(f);
    }

    static int[] values(NiftiImage img) {
        int[] v = new int[img.voxelCount()];
        for (int i = 0; i < v.length; i++) {
            v[i] = (int) img.value(i);
        }
        return v;
    }

    static void assertDetail(Reply r, int status, String contains) {
        assertEquals(status, r.status(), new String(r.body()));
        String d = r.json().get("detail").getAsString();
        assertTrue(d.contains(contains) && !d.contains("\n") && !d.contains("Exception"), d);
    }

    @Test
    void infoParsesAsTheSlicerModuleReadsIt() throws Exception {
        assertEquals(Map.of("enabled", false), Map.of("enabled", get("/auth/").json().get("enabled").getAsBoolean()));
        JsonObject info = get("/info/").json();
        for (String k : List.of("name", "description", "version", "labels", "models", "trainers", "strategies", "scoring",
                "train_stats", "datastore")) {
            assertTrue(info.has(k), k + " in " + info);
        }
        JsonObject models = info.getAsJsonObject("models");
        assertEquals(2, models.getAsJsonObject("medsa_2d").get("dimension").getAsInt());
        assertEquals(3, models.getAsJsonObject("medsa_3d").get("dimension").getAsInt());
        for (String m : List.of("medsa_2d", "medsa_3d")) {
            JsonObject o = models.getAsJsonObject(m);
            // the module lists a model under Deepgrow when its type is deepgrow or deepedit
            assertEquals("deepgrow", o.get("type").getAsString());
            assertTrue(o.get("labels").isJsonArray() && o.get("config").isJsonObject() && o.has("description"), o.toString());
        }
        assertEquals(2, info.getAsJsonObject("datastore").get("total").getAsInt());
        assertTrue(info.getAsJsonObject("datastore").has("completed"));
    }

    @Test
    void aClickOnASessionGivesTheSegmentersSliceAsAnNrrdOnTheInputsGrid() throws Exception {
        String sid = createSession(server, volumeFile);
        assertEquals(200, get("/session/" + sid).status());
        String params = "{\"label\": \"liver\", \"foreground\": [[22, 9, 5], [25, 12, 5]], \"background\": [[5, 20, 5]],"
                + " \"slice\": 5, \"client_id\": \"user-xyz\", \"result_extension\": \".nrrd\", \"result_dtype\": \"uint8\"}";
        Reply r = infer(server, "medsa_2d", "p0", sid, params, null);
        assertEquals(200, r.status(), new String(r.body()));
        Parts parts = parse(r);
        JsonObject p = JsonParser.parseString(parts.form().get("params")).getAsJsonObject();
        assertEquals(1, p.getAsJsonObject("label_names").get("liver").getAsInt());
        assertEquals(1, parts.files().size());
        String name = parts.files().keySet().iterator().next();
        assertTrue(name.endsWith(".nrrd") && !name.contains("/"), name);
        NiftiImage result = readResult(tmp, name, parts.files().get(name));
        NiftiImage input = NiftiReader.read(volumeFile);
        assertArrayEquals(input.grid().shape(), result.grid().shape());
        // LPS directions and origin in the file are the NIfTI affine's (RAS) with x and y negated
        assertTrue(result.grid().affine().approximatelyEquals(input.grid().affine(), 1e-9),
                result.grid().affine() + " vs " + input.grid().affine());
        int[] want;
        try (VolumeSegmenter vs = new VolumeSegmenter(sam, manager)) {
            want = vs.segment(SegmentationInput.read(volumeFile), new VolumePrompts().point(1, 22, 9, 5, true)
                    .point(1, 25, 12, 5, true).point(1, 5, 20, 5, false), VolumeSegmenter.Options.defaults()).labels().data();
        }
        assertArrayEquals(want, values(result));
        assertTrue(Arrays.stream(want).sum() > 0, "the click finds something");
    }

    @Test
    void theThreeDModelIsSegmentPropagate() throws Exception {
        String sid = createSession(server, volumeFile);
        Reply r = infer(server, "medsa_3d", "p0", sid,
                "{\"label\": \"spleen\", \"foreground\": [[22, 9, 5]], \"background\": []}", null);
        assertEquals(200, r.status(), new String(r.body()));
        Parts parts = parse(r);
        String name = parts.files().keySet().iterator().next();
        int[] got = values(readResult(tmp, name, parts.files().get(name)));
        int[] want;
        try (VolumeSegmenter vs = new VolumeSegmenter(sam, manager)) {
            want = vs.segment(SegmentationInput.read(volumeFile), new VolumePrompts().point(1, 22, 9, 5, true),
                    VolumeSegmenter.Options.builder().propagate(Propagation.Direction.BOTH, Integer.MAX_VALUE).build())
                    .labels().data();
        }
        assertArrayEquals(want, got);
        long slices = IntStream.range(0, 12).filter(k -> {
            for (int q = 0; q < 40 * 28; q++) {
                if (got[k * 40 * 28 + q] != 0) {
                    return true;
                }
            }
            return false;
        }).count();
        assertTrue(slices > 1, "propagated beyond the clicked slice: " + slices);
    }

    @Test
    void ohifsImageOutputAndOtherFormatsAndADatastoreImage() throws Exception {
        // OHIF: output=image, the file alone; by datastore image id, no session
        Reply r = infer(server, "medsa_2d", "p0", null, "{\"foreground\": [[22, 9, 5]], \"background\": [],"
                + " \"result_extension\": \".nrrd\", \"result_dtype\": \"uint8\", \"result_compress\": false,"
                + " \"restore_label_idx\": false}", "image");
        assertEquals(200, r.status(), new String(r.body()));
        assertTrue(new String(r.body(), 0, 8, StandardCharsets.US_ASCII).startsWith("NRRD000"));
        assertTrue(r.headers().get("content-disposition").contains(".nrrd"), r.headers().toString());
        r = infer(server, "medsa_2d", "p0", null, "{\"foreground\": [[22, 9, 5]], \"result_extension\": \".nii.gz\","
                + " \"result_dtype\": \"int16\"}", "all");
        Parts parts = parse(r);
        String name = parts.files().keySet().iterator().next();
        assertTrue(name.endsWith(".nii.gz"), name);
        NiftiImage nii = readResult(tmp, name, parts.files().get(name));
        assertEquals(NiftiDatatype.INT16, nii.header().datatype());
        assertTrue(nii.grid().affine().approximatelyEquals(NiftiReader.read(volumeFile).grid().affine(), 1e-6));
        r = infer(server, "medsa_2d", "p0", null, "{\"foreground\": [[22, 9, 5]]}", "json");
        assertEquals(200, r.status());
        assertTrue(r.json().has("label_names"), r.json().toString());
    }

    @Test
    void anExpiredSessionIs404AndTheClientsReuploadWorks() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                SegmentationServer quick = SegmentationServer.builder(served, m).port(0).idleMillis(300).build().start()) {
            String sid = createSession(quick, volumeFile);
            assertEquals(200, send(quick, "GET", "/session/" + sid, null, null, null).status());
            Thread.sleep(2600); // idle beyond the limit; the reaper runs every second
            Reply gone = send(quick, "GET", "/session/" + sid, null, null, null);
            assertDetail(gone, 404, "PUT /session/");
            assertDetail(infer(quick, "medsa_2d", "p0", sid, "{\"foreground\": [[22, 9, 5]]}", null), 404, "not found");
            // the module's getSessionId(): the session is gone, so it uploads the image again and infers on the new one
            String again = createSession(quick, volumeFile);
            assertEquals(200, infer(quick, "medsa_2d", "p0", again, "{\"foreground\": [[22, 9, 5]]}", null).status());
            assertEquals(200, send(quick, "DELETE", "/session/" + again, null, null, null).status());
            assertEquals(404, send(quick, "DELETE", "/session/" + again, null, null, null).status());
        }
    }

    @Test
    void badRequestsGetOneLine() throws Exception {
        String sid = createSession(server, volumeFile);
        byte[] cut = slicerMultipart(Map.of("params", "{}"), Map.of());
        byte[] truncated = Arrays.copyOf(cut, cut.length - (SLICER_BOUNDARY.length() + 8));
        assertDetail(send(server, "POST", "/infer/medsa_2d?image=p0&session_id=" + sid, "multipart/form-data; boundary="
                + SLICER_BOUNDARY, truncated, null), 400, "malformed multipart");
        assertDetail(send(server, "POST", "/infer/medsa_2d?image=p0", "multipart/form-data", cut, null), 400, "boundary");
        assertDetail(infer(server, "deepedit_seg", "p0", sid, "{}", null), 404, "no model 'deepedit_seg'");
        assertDetail(get("/train/"), 404, "no such route");
        assertDetail(infer(server, "medsa_2d", "p0", sid, "{\"foreground\": [[40, 9, 5]]}", null), 400, "outside the volume");
        assertDetail(infer(server, "medsa_2d", "p0", sid, "{\"foreground\": \"22,9,5\"}", null), 400,
                "params.foreground must be a list");
        assertDetail(infer(server, "medsa_2d", "p0", sid, "[1, 2]", null), 400, "params must be a JSON object");
        assertDetail(infer(server, "medsa_2d", "p0", sid, "{\"foreground\": [[22, 9, 5]], \"result_dtype\": \"complex64\"}",
                null), 400, "result_dtype");
        assertDetail(infer(server, "medsa_2d", "nope", null, "{\"foreground\": [[22, 9, 5]]}", null), 404, "no image 'nope'");
        Path big = tmp.resolve("big.nii");
        Files.write(big, new byte[3_100_000]);
        String boundary = "0123456789abcdef0123456789abcdef";
        assertDetail(send(server, "PUT", "/session/", "multipart/form-data; boundary=" + boundary,
                requestsMultipart(boundary, "files", big), null), 413, "exceeds the limit");
    }

    @Test
    void labelsAreSavedInMonaiLabelsLayoutAndImagesAreNeverReplaced() throws Exception {
        Reply r = infer(server, "medsa_2d", "p1", null, "{\"foreground\": [[20, 14, 6]]}", "image");
        assertEquals(200, r.status(), new String(r.body()));
        Path label = tmp.resolve("p1_label.nrrd");
        Files.write(label, r.body());
        Reply saved = send(server, "PUT", "/datastore/label?image=p1&tag=final",
                "multipart/form-data; boundary=" + SLICER_BOUNDARY,
                slicerMultipart(Map.of("params", "{\"client_id\": \"user-xyz\"}"), Map.of("label", label)), null);
        assertEquals(200, saved.status(), new String(saved.body()));
        assertArrayEquals(r.body(), Files.readAllBytes(data.resolve("labels/final/p1.nrrd")));
        Reply back = get("/datastore/label?label=p1&tag=final");
        assertArrayEquals(r.body(), back.body());
        assertTrue(back.headers().get("content-disposition").contains("p1.nrrd"));
        JsonObject all = get("/datastore/?output=all").json();
        assertEquals(".nrrd", all.getAsJsonObject("objects").getAsJsonObject("p1").getAsJsonObject("labels")
                .getAsJsonObject("final").get("ext").getAsString());
        assertEquals(1, get("/datastore/").json().get("completed").getAsInt());
        // a label on another grid is refused
        Path wrong = tmp.resolve("wrong.nii.gz");
        NiftiWriter.write(NiftiImage.of(new ImageVolume(new Grid(5, 5, 5, Affine.identity()), new float[125]),
                NiftiDatatype.UINT8), wrong);
        assertDetail(send(server, "PUT", "/datastore/label?image=p1", "multipart/form-data; boundary=" + SLICER_BOUNDARY,
                slicerMultipart(Map.of("params", "{}"), Map.of("label", wrong)), null), 400, "grid");
        // uploads: a new image is added, an existing name is never replaced
        Reply up = send(server, "PUT", "/datastore/?image=fresh", "multipart/form-data; boundary=" + SLICER_BOUNDARY,
                slicerMultipart(Map.of("params", "{}"), Map.of("file", volumeFile)), null);
        assertEquals(200, up.status(), new String(up.body()));
        assertEquals("fresh", up.json().get("image").getAsString());
        assertArrayEquals(Files.readAllBytes(volumeFile), Files.readAllBytes(data.resolve("fresh.nii.gz")));
        assertDetail(send(server, "PUT", "/datastore/?image=p1", "multipart/form-data; boundary=" + SLICER_BOUNDARY,
                slicerMultipart(Map.of("params", "{}"), Map.of("file", volumeFile)), null), 409, "never replaced");
        Files.delete(data.resolve("fresh.nii.gz"));
    }

    @Test
    void anApiTokenGuardsEveryRouteAndTheModulesLoginGivesIt() throws Exception {
        String token = "s3cret-token-42";
        try (NDManager m = NDManager.newBaseManager();
                SegmentationServer guarded = SegmentationServer.builder(served, m).dataFolder(data).port(0).apiToken(token)
                        .build().start()) {
            assertTrue(send(guarded, "GET", "/auth/", null, null, null).json().get("enabled").getAsBoolean());
            assertDetail(send(guarded, "GET", "/info/", null, null, null), 401, "Bearer");
            assertDetail(send(guarded, "GET", "/info/", null, null, "wrong-token-1"), 401, "not this server's");
            assertEquals(200, send(guarded, "GET", "/info/", null, null, token).status());
            assertEquals(401, send(guarded, "GET", "/api/health", null, null, null).status());
            assertEquals(401, send(guarded, "GET", "/", null, null, null).status(), "the viewer's page too");
            assertEquals(200, send(guarded, "GET", "/", null, null, token).status());
            Reply login = send(guarded, "POST", "/auth/token", "application/x-www-form-urlencoded",
                    ("username=user-xyz&password=" + token + "&grant_type=password").getBytes(StandardCharsets.UTF_8), null);
            assertEquals(200, login.status(), new String(login.body()));
            assertEquals(token, login.json().get("access_token").getAsString());
            assertEquals("bearer", login.json().get("token_type").getAsString());
            assertNotNull(login.json());
            assertFalse(send(guarded, "POST", "/auth/token", "application/x-www-form-urlencoded",
                    "username=u&password=nope&grant_type=password".getBytes(StandardCharsets.UTF_8), null).status() == 200);
        }
    }

    @Test
    void aDicomSeriesSessionAnswersDicomSegAndTheViewerOffersIt() throws Exception {
        Path series = TestSeries.write(tmp.resolve("series"), "1.2.826.0.1.3680043.10.511.2.9", -1, false);
        // requests: one 'files' part per file of the series
        String boundary = "5a1b2c4d5e6f708192a3b4c5d6e7f8aa";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try (var files = Files.list(series)) {
            for (Path f : files.sorted().toList()) {
                body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"" + f.getFileName()
                        + "\"\r\n\r\n").getBytes(StandardCharsets.UTF_8));
                body.write(Files.readAllBytes(f));
                body.write("\r\n".getBytes(StandardCharsets.UTF_8));
            }
        }
        body.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        Reply s = send(server, "PUT", "/session/", "multipart/form-data; boundary=" + boundary, body.toByteArray(), null);
        assertEquals(200, s.status(), new String(s.body()));
        String sid = s.json().get("session_id").getAsString();
        assertEquals("[20,16,7]", s.json().getAsJsonObject("session_info").getAsJsonObject("meta").get("shape").toString());
        Reply seg = infer(server, "medsa_2d", "ct", sid, "{\"label\": \"liver\", \"foreground\": [[10, 8, 3]]}", "dicom_seg");
        assertEquals(200, seg.status(), new String(seg.body()));
        assertEquals("application/dicom", seg.type());
        Path f = tmp.resolve("answer.dcm");
        Files.write(f, seg.body());
        DicomDataset ds = DicomDataset.read(f);
        assertEquals("1.2.840.10008.5.1.4.1.1.66.4", ds.string(0x00080016));
        assertEquals("1", ds.string(0x00280008), "one slice holds the segment");
        assertEquals("liver", ds.sequence(0x00620002).get(0).string(0x00620005));
        assertEquals("1.2.826.0.1.3680043.10.511.2.9", ds.sequence(0x00081115).get(0).string(0x0020000E));
        // the same session in the viewer's API: the label the click wrote, as a DICOM SEG download
        Reply dl = send(server, "GET", "/api/volumes/" + sid + "/labels.dcm", null, null, null);
        assertEquals(200, dl.status(), new String(dl.body()));
        assertTrue(dl.headers().get("content-disposition").endsWith("_labels.dcm\""), dl.headers().toString());
        assertEquals(ds.string(0x00280008), DicomDataset.read(Files.write(tmp.resolve("dl.dcm"), dl.body())).string(0x00280008));
        String other = createSession(server, volumeFile);
        assertDetail(infer(server, "medsa_2d", "p0", other, "{\"foreground\": [[22, 9, 5]]}", "dicom_seg"), 400,
                "a DICOM SEG is written for a DICOM series input");
        assertEquals(404, send(server, "GET", "/api/volumes/" + other + "/labels.dcm", null, null, null).status());
    }
}
