package org.medsa.server;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.medsa.core.MedsaException;

/**
 * The MONAI Label REST protocol (Project-MONAI/MONAILabel's {@code monailabel/endpoints}), as 3D
 * Slicer's MONAILabel module and OHIF's MONAI Label mode call it, on the server's port beside
 * {@code /api/}: {@code /info/}, {@code /session/}, {@code /infer/{model}}, {@code /datastore/...}
 * and {@code /auth/}. Two interactive models of type {@code deepgrow}: {@value #MODEL_2D} (the
 * clicked slice) and {@value #MODEL_3D} (the clicked slices, then propagation through the volume;
 * memory propagation for SAM 2) — see {@link MonaiLabelModels}. Errors answer FastAPI's shape,
 * {@code {"detail": "<one line>"}}.
 */
final class MonaiLabelApi {

    /** The 2D model's name. */
    static final String MODEL_2D = "medsa_2d";
    /** The 3D model's name. */
    static final String MODEL_3D = "medsa_3d";

    private final SegmentationServer server;
    private final SessionRegistry sessions;
    private final UploadReceiver uploads;
    private final MonaiLabelDatastore store;
    private final MonaiLabelModels models;
    private final String apiToken;
    private final long idleSeconds;
    /** MONAI Label sessions: id -> creation time (epoch seconds). */
    private final Map<String, Long> created = new ConcurrentHashMap<>();
    /** Datastore image id -> the open session of it. */
    private final Map<String, String> imageSessions = new ConcurrentHashMap<>();

    MonaiLabelApi(SegmentationServer server, SessionRegistry sessions, UploadReceiver uploads, DataFolder data,
            MonaiLabelModels models, String apiToken, long idleMillis) {
        this.server = server;
        this.sessions = sessions;
        this.uploads = uploads;
        this.store = new MonaiLabelDatastore(data);
        this.models = models;
        this.apiToken = apiToken;
        this.idleSeconds = idleMillis / 1000;
    }

    void register(RoutesConfig r) {
        r.get("/auth/", ctx -> ViewerApi.json(ctx, 200, Map.of("enabled", apiToken != null)));
        r.post("/auth/token", this::token);
        r.get("/auth/token/valid", ctx -> ViewerApi.json(ctx, 200, Map.of()));
        r.get("/info/", ctx -> ViewerApi.json(ctx, 200, info()));
        r.put("/session/", this::createSession);
        r.get("/session/{id}", ctx -> ViewerApi.json(ctx, 200, sessionInfo(requireSession(ctx.pathParam("id")))));
        r.delete("/session/{id}", ctx -> {
            InteractiveSession s = requireSession(ctx.pathParam("id"));
            Map<String, Object> info = sessionInfo(s);
            sessions.remove(s);
            created.remove(s.id());
            ViewerApi.json(ctx, 200, info);
        });
        r.post("/infer/{model}", this::infer);
        r.get("/datastore/", this::datastore);
        r.put("/datastore/", this::addImage);
        r.put("/datastore/image", this::addImage);
        r.get("/datastore/image", ctx -> {
            Path p = store.image(ctx.queryParam("image"));
            if (Files.isDirectory(p)) {
                throw ApiException.notFound("image '" + ctx.queryParam("image") + "' is a DICOM series folder, not one file");
            }
            file(ctx, p);
        });
        r.put("/datastore/label", this::saveLabel);
        r.get("/datastore/label", ctx -> {
            String id = ctx.queryParam("label");
            String tag = tagOf(ctx);
            Path p = store.label(id == null ? "" : id, tag);
            if (p == null) {
                throw ApiException.notFound("no label '" + id + "' with tag '" + tag + "' in the datastore");
            }
            file(ctx, p);
        });
    }

    /** True for the paths of MONAI Label's routers, served or not (their 404s are JSON too). */
    static boolean isProtocolPath(String path) {
        return path.matches("/(info|session|infer|datastore|auth|train|activelearning|scoring|batch|model|logs|ohif|proxy)"
                + "(/.*)?");
    }

    /**
     * The bearer-token check every route passes when the server has a token, except {@code GET
     * /auth/} and {@code POST /auth/token} (which a client needs to find out and log in).
     */
    void authorize(Context ctx) {
        if (apiToken == null || ctx.path().equals("/auth/") || ctx.path().equals("/auth/token")) {
            return;
        }
        String h = ctx.header("Authorization");
        String given = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : null;
        if (given == null || !MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8),
                apiToken.getBytes(StandardCharsets.UTF_8))) {
            throw new ApiException(401, given == null ? "this server needs 'Authorization: Bearer <token>' (its --api-token)"
                    : "the bearer token is not this server's --api-token");
        }
    }

    /** MONAI Label's login (OAuth2 password form): the password is the server's token. */
    private void token(Context ctx) {
        if (apiToken == null) {
            throw ApiException.notFound("this server has no --api-token; no login is needed");
        }
        String password = ctx.formParam("password");
        if (password == null || !MessageDigest.isEqual(password.getBytes(StandardCharsets.UTF_8),
                apiToken.getBytes(StandardCharsets.UTF_8))) {
            throw new ApiException(401, "wrong password: log in with the server's --api-token as the password");
        }
        ViewerApi.json(ctx, 200, Map.of("access_token", apiToken, "token_type", "bearer"));
    }

    /** What {@code GET /info/} answers. */
    Map<String, Object> info() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "Med-SA for Java");
        m.put("description", "Interactive segmentation with " + models.describe());
        m.put("version", SegmentationServer.VERSION);
        m.put("labels", List.of());
        m.put("models", models.info());
        m.put("trainers", Map.of());
        m.put("strategies", Map.of());
        m.put("scoring", Map.of());
        m.put("train_stats", Map.of());
        m.put("datastore", store.status());
        return m;
    }

    private InteractiveSession requireSession(String id) {
        InteractiveSession s = created.containsKey(id) ? sessions.get(id) : null;
        if (s == null) {
            created.remove(id);
            throw ApiException.notFound("session " + id + " not found (expired after " + idleSeconds
                    + " s idle, removed, or never created); create it again with PUT /session/");
        }
        return s;
    }

    private Map<String, Object> sessionInfo(InteractiveSession s) {
        long now = System.currentTimeMillis() / 1000;
        long idle = (System.nanoTime() - s.lastUsed()) / 1_000_000_000L;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.id());
        m.put("path", s.name());
        m.put("image", s.name());
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("shape", s.input().shape());
        meta.put("kind", s.kind());
        m.put("meta", meta);
        m.put("create_ts", created.getOrDefault(s.id(), now));
        m.put("last_access_ts", now - idle);
        m.put("expiry", idleSeconds);
        return m;
    }

    private void createSession(Context ctx) throws IOException {
        Path dir = uploads.newFolder("s");
        try {
            Multipart.Form form = Multipart.receive(ctx, uploads, dir);
            List<Multipart.Part> files = form.files("files");
            if (files.isEmpty()) {
                throw new MedsaException("a session needs the image as multipart file field 'files' (several files: one"
                        + " DICOM series)");
            }
            Path open;
            String name;
            if (files.size() == 1) {
                open = files.get(0).file();
                name = files.get(0).fileName();
            } else { // the files of one DICOM series
                open = Files.createDirectories(dir.resolve("series"));
                for (Multipart.Part p : files) {
                    Path target = open.resolve(p.fileName());
                    if (Files.exists(target)) {
                        throw new MedsaException("two uploaded files are named " + p.fileName());
                    }
                    Files.move(p.file(), target);
                }
                name = files.get(0).fileName().replaceAll("\\.dcm$", "") + " (+" + (files.size() - 1) + " files)";
            }
            InteractiveSession s = server.open(open, name);
            created.put(s.id(), System.currentTimeMillis() / 1000);
            ViewerApi.json(ctx, 200, Map.of("session_id", s.id(), "session_info", sessionInfo(s)));
        } finally {
            UploadReceiver.delete(dir);
        }
    }

    private void infer(Context ctx) throws IOException {
        String model = ctx.pathParam("model");
        if (!models.has(model)) {
            throw ApiException.notFound("no model '" + model + "'; this server has " + MODEL_2D + " and " + MODEL_3D);
        }
        String output = ctx.queryParam("output");
        String out = output == null || output.isBlank() ? "all" : output;
        if (!List.of("image", "json", "all", "dicom_seg").contains(out)) {
            throw new MedsaException("output must be image, json, all or dicom_seg, got '" + output + "'");
        }
        Path dir = uploads.newFolder("i");
        InteractiveSession transientSession = null;
        try {
            Multipart.Form form = Multipart.receive(ctx, uploads, dir);
            JsonObject params = params(form.field("params"));
            InteractiveSession s;
            String sessionId = ctx.queryParam("session_id");
            Multipart.Part file = form.file("file");
            if (sessionId != null && !sessionId.isBlank()) {
                s = requireSession(sessionId);
            } else if (file != null) {
                transientSession = server.open(file.file(), file.fileName());
                s = transientSession;
            } else {
                s = imageSession(ctx.queryParam("image"));
            }
            MonaiLabelModels.Request q = MonaiLabelModels.Request.of(params, s.input());
            long t0 = System.nanoTime();
            int[] labels = models.run(model, s, q);
            double seconds = (System.nanoTime() - t0) / 1e9;
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("label_names", Map.of(q.label(), 1));
            result.put("latencies", Map.of("infer", Math.round(seconds * 1000) / 1000.0));
            if (out.equals("json")) {
                ViewerApi.json(ctx, 200, result);
                return;
            }
            boolean seg = out.equals("dicom_seg");
            String ext = seg ? ".dcm" : q.extension();
            String resultName = "label_" + s.id().substring(0, Math.min(8, s.id().length())) + "_" + model + ext;
            Path f = dir.resolve(resultName);
            if (seg) {
                models.writeDicomSeg(s.input(), labels, q.label(), f);
            } else {
                models.write(s.input(), labels, f, q.dtype());
            }
            byte[] bytes = Files.readAllBytes(f);
            String mime = seg ? "application/dicom" : "application/octet-stream";
            if (!out.equals("all")) {
                ctx.status(200).contentType(mime).header("Content-Disposition", "attachment; filename=\"" + resultName + "\"")
                        .result(bytes);
                return;
            }
            Multipart.Writer w = new Multipart.Writer().field("params", "application/json", ViewerApi.toJson(result))
                    .file("image", resultName, mime, bytes);
            byte[] body = w.finish();
            ctx.status(200).contentType(w.contentType()).result(body);
        } finally {
            if (transientSession != null) {
                sessions.remove(transientSession);
            }
            UploadReceiver.delete(dir);
        }
    }

    /** The open session of a datastore image, opened on first use. */
    private InteractiveSession imageSession(String image) {
        Path p = store.image(image);
        String known = imageSessions.get(image);
        InteractiveSession s = known == null ? null : sessions.get(known);
        if (s == null) {
            s = server.open(p, store.folder().root().relativize(p).toString().replace('\\', '/'));
            imageSessions.put(image, s.id());
        }
        return s;
    }

    static JsonObject params(String text) {
        if (text == null || text.isBlank()) {
            return new JsonObject();
        }
        JsonElement e;
        try {
            e = JsonParser.parseString(text);
        } catch (JsonParseException ex) {
            throw new MedsaException("params is not valid JSON: " + JsonRequests.firstLine(ex.getMessage()));
        }
        if (!e.isJsonObject()) {
            throw new MedsaException("params must be a JSON object, got " + (e.isJsonArray() ? "an array" : e.toString()));
        }
        return e.getAsJsonObject();
    }

    private void datastore(Context ctx) {
        String output = ctx.queryParam("output");
        if (output == null || output.equals("stats")) {
            ViewerApi.json(ctx, 200, store.status());
        } else if (output.equals("all")) {
            ViewerApi.json(ctx, 200, store.json());
        } else if (output.equals("train")) {
            ViewerApi.json(ctx, 200, store.datalist());
        } else {
            throw new MedsaException("output must be stats, all or train, got '" + output + "'");
        }
    }

    private void addImage(Context ctx) throws IOException {
        upload(ctx, "file", "an image upload", f -> Map.of("image", store.addImage(ctx.queryParam("image"), f.file(),
                f.fileName())));
    }

    private void saveLabel(Context ctx) throws IOException {
        String image = ctx.queryParam("image");
        String tag = tagOf(ctx);
        upload(ctx, "label", "a label upload", f -> {
            store.saveLabel(image, tag, f.file(), f.fileName());
            return Map.of("image", image, "label", image);
        });
    }

    /** What an upload route does with its file part; its answer is sent as JSON. */
    private interface UploadHandler {
        Object handle(Multipart.Part file) throws IOException;
    }

    /** Receives a multipart upload with a file part {@code field} (and an optional {@code params}), then hands it on. */
    private void upload(Context ctx, String field, String what, UploadHandler handler) throws IOException {
        Path dir = uploads.newFolder("d");
        try {
            Multipart.Form form = Multipart.receive(ctx, uploads, dir);
            Multipart.Part f = form.file(field);
            if (f == null) {
                throw new MedsaException(what + " needs the multipart file field '" + field + "'");
            }
            params(form.field("params"));
            ViewerApi.json(ctx, 200, handler.handle(f));
        } finally {
            UploadReceiver.delete(dir);
        }
    }

    private static String tagOf(Context ctx) {
        String tag = ctx.queryParam("tag");
        return tag == null || tag.isBlank() ? "final" : tag;
    }

    private static void file(Context ctx, Path p) throws IOException {
        ctx.status(200).contentType("application/octet-stream")
                .header("Content-Disposition", "attachment; filename=\"" + p.getFileName() + "\"")
                .result(Files.readAllBytes(p));
    }
}
