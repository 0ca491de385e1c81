package org.medsa.server;

import ai.djl.ndarray.NDManager;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.staticfiles.Location;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.medsa.core.MedsaException;
import org.medsa.core.io.AtomicFiles;
import org.medsa.core.modeling.Sam;
import org.medsa.core.viz.Overlay;
import org.medsa.data.transforms.Intensity;
import org.medsa.inference.Propagation;
import org.medsa.inference.SegmentationInput;

/**
 * Interactive segmentation over HTTP from one JVM: a JSON API (documented in {@code
 * docs/server.md}) and a browser viewer at {@code /}, on top of {@link InteractiveSession}s. The
 * image encoder runs once per slice on a worker queue with an embedding cache ({@link
 * EmbeddingCache}); clicks only run the prompt encoder and the mask decoder.
 *
 * <pre>{@code
 * try (SegmentationServer server = SegmentationServer.builder(ServedModel.of(sam, "my model", checkpoint), manager)
 *         .dataFolder(Path.of("scans")).port(8080).build().start()) {
 *     System.out.println("serving at " + server.url());
 *     server.awaitStop();
 * }
 * }</pre>
 *
 * <p>Bound to 127.0.0.1 unless told otherwise; only files under the data folder can be opened by
 * path; uploads are capped; every refusal is a 4xx with {@code {"error": "<one line>"}}; sessions
 * idle longer than the idle limit are freed.
 */
public final class SegmentationServer implements AutoCloseable {

    /** What sessions share: the model, where arrays live, the encoder and the settings. */
    record Shared(Sam model, NDManager manager, String modelIdentity, SliceEncoder encoder, boolean lookAhead,
            int encodeTimeoutSeconds) {}

    /** Settings of a server; {@link SegmentationServer#builder} starts one. */
    public static final class Builder {
        private final ServedModel model;
        private final NDManager manager;
        private Path dataFolder;
        private String host = "127.0.0.1";
        private int port = 8080;
        private long cacheBytes = 1024L << 20;
        private Path cacheDir;
        private long maxUploadBytes = 512L << 20;
        private long idleMillis = TimeUnit.MINUTES.toMillis(30);
        private int maxSessions = 32;
        private boolean lookAhead = true;
        private int encodeTimeoutSeconds = 600;

        private Builder(ServedModel model, NDManager manager) {
            this.model = model;
            this.manager = manager;
        }

        /** The folder whose images may be opened by path (none: uploads only). */
        public Builder dataFolder(Path dir) {
            this.dataFolder = dir;
            return this;
        }

        /** The address to bind (default 127.0.0.1: this machine only). */
        public Builder host(String h) {
            this.host = h;
            return this;
        }

        /** The port (default 8080; 0 = any free port, see {@link #url}). */
        public Builder port(int p) {
            if (p < 0 || p > 65535) {
                throw new MedsaException("port must be 0..65535, got " + p);
            }
            this.port = p;
            return this;
        }

        /** The in-memory embedding cache's budget in bytes (default 1 GiB). */
        public Builder cacheBytes(long b) {
            if (b < 0) {
                throw new MedsaException("the cache budget must be >= 0, got " + b);
            }
            this.cacheBytes = b;
            return this;
        }

        /** A folder for the disk embedding cache (default none). */
        public Builder cacheDir(Path dir) {
            this.cacheDir = dir;
            return this;
        }

        /** The largest upload accepted, in bytes (default 512 MiB). */
        public Builder maxUploadBytes(long b) {
            if (b < 1) {
                throw new MedsaException("the upload limit must be >= 1 byte, got " + b);
            }
            this.maxUploadBytes = b;
            return this;
        }

        /** Sessions unused this long are freed (default 30 minutes). */
        public Builder idleMillis(long ms) {
            this.idleMillis = ms;
            return this;
        }

        /** The most open volumes; opening one more frees the least recently used (default 32). */
        public Builder maxSessions(int n) {
            if (n < 1) {
                throw new MedsaException("max sessions must be >= 1, got " + n);
            }
            this.maxSessions = n;
            return this;
        }

        /** Whether neighbours of the viewed slice are encoded ahead of time (default true). */
        public Builder lookAhead(boolean on) {
            this.lookAhead = on;
            return this;
        }

        /** The server; {@link SegmentationServer#start} starts it. */
        public SegmentationServer build() {
            return new SegmentationServer(this);
        }
    }

    /** A builder for a server running {@code model}; arrays live under {@code manager}. */
    public static Builder builder(ServedModel model, NDManager manager) {
        return new Builder(model, manager);
    }

    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Builder cfg;
    private final DataFolder data;
    private final EmbeddingCache cache;
    private final SliceEncoder encoder;
    private final Shared context;
    private final Map<String, InteractiveSession> sessions = new ConcurrentHashMap<>();
    private final ScheduledExecutorService reaper;
    private final Path uploads;
    private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
    private Javalin app;

    private SegmentationServer(Builder b) {
        this.cfg = b;
        this.data = b.dataFolder == null ? null : new DataFolder(b.dataFolder);
        this.cache = new EmbeddingCache(b.cacheBytes, b.cacheDir);
        this.encoder = new SliceEncoder(b.model.sam(), b.manager, cache);
        this.context = new Shared(b.model.sam(), b.manager, b.model.identity(), encoder, b.lookAhead, b.encodeTimeoutSeconds);
        try {
            this.uploads = Files.createTempDirectory("medsa-uploads");
        } catch (IOException e) {
            throw new MedsaException("cannot create a folder for uploads (" + e.getMessage() + ")", e);
        }
        this.reaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "medsa-session-reaper");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts listening.
     *
     * @throws MedsaException if the address cannot be bound (e.g. the port is taken)
     */
    public SegmentationServer start() {
        Javalin a = Javalin.create(config -> {
            config.startup.showJavalinBanner = false;
            config.jetty.host = cfg.host;
            config.jetty.port = cfg.port;
            config.http.maxRequestSize = 1 << 20; // JSON bodies; uploads are streamed with their own limit
            config.staticFiles.add(sf -> {
                sf.hostedPath = "/";
                sf.directory = "/org/medsa/server/web";
                sf.location = Location.CLASSPATH;
            });
            routes(config);
        });
        try {
            a.start();
        } catch (RuntimeException e) {
            throw new MedsaException("cannot serve on " + cfg.host + ":" + cfg.port + " (" + rootMessage(e) + ")", e);
        }
        this.app = a;
        long period = Math.max(1000, Math.min(60_000, cfg.idleMillis / 4));
        reaper.scheduleAtFixedRate(this::freeIdle, period, period, TimeUnit.MILLISECONDS);
        return this;
    }

    private static String rootMessage(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null) {
            c = c.getCause();
        }
        return c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
    }

    /** The port listened on (the chosen one when built with port 0). */
    public int port() {
        return app.port();
    }

    /** {@code http://HOST:PORT/}. */
    public URI url() {
        String h = cfg.host.contains(":") ? "[" + cfg.host + "]" : cfg.host;
        return URI.create("http://" + h + ":" + port() + "/");
    }

    /** Blocks until {@link #close} is called (e.g. by a shutdown hook). */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    /**
     * Opens an image as a session without HTTP (the Java form of {@code POST /api/volumes}).
     *
     * @throws MedsaException naming the file and what is wrong with it
     */
    public InteractiveSession open(Path file, String name) {
        SegmentationInput input;
        try {
            input = SegmentationInput.read(file);
        } catch (MedsaException e) {
            // name the file as the client knows it, not by this machine's path
            throw new MedsaException(e.getMessage() == null ? name + ": unreadable" : e.getMessage().replace(file.toString(), name), e);
        }
        String id = newId();
        InteractiveSession s = new InteractiveSession(id, name, input, context);
        sessions.put(id, s);
        evictBeyondLimit();
        return s;
    }

    /** An open session, or null. */
    public InteractiveSession session(String id) {
        return sessions.get(id);
    }

    private static String newId() {
        byte[] b = new byte[12];
        RANDOM.nextBytes(b);
        return java.util.HexFormat.of().formatHex(b);
    }

    private void evictBeyondLimit() {
        while (sessions.size() > cfg.maxSessions) {
            sessions.values().stream().min(Comparator.comparingLong(InteractiveSession::lastUsed)).ifPresent(s -> {
                sessions.remove(s.id());
                s.close();
            });
        }
    }

    private void freeIdle() {
        long now = System.nanoTime();
        for (InteractiveSession s : List.copyOf(sessions.values())) {
            if (now - s.lastUsed() > TimeUnit.MILLISECONDS.toNanos(cfg.idleMillis)) {
                sessions.remove(s.id());
                s.close();
            }
        }
    }

    // ---- HTTP ----

    private void routes(io.javalin.config.JavalinConfig config) {
        var r = config.routes;
        r.get("/api/health", ctx -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", "ok");
            m.put("model", cfg.model.description());
            m.put("sessions", sessions.size());
            m.put("cache", cache.stats());
            m.put("encoder", encoder.stats());
            json(ctx, 200, m);
        });
        r.get("/api/files", ctx -> json(ctx, 200, Map.of("files", data == null ? List.of() : data.list())));
        r.post("/api/volumes", this::openVolume);
        r.get("/api/volumes/{id}", ctx -> json(ctx, 200, session(ctx).describe()));
        r.delete("/api/volumes/{id}", ctx -> {
            InteractiveSession s = session(ctx);
            sessions.remove(s.id());
            s.close();
            json(ctx, 200, Map.of("deleted", s.id()));
        });
        r.get("/api/volumes/{id}/slices/{axis}/{file}", ctx -> {
            InteractiveSession s = session(ctx);
            int[] ai = axisAndIndex(ctx);
            png(ctx, s.slicePng(ai[0], ai[1], window(ctx.queryParam("window"))));
        });
        r.get("/api/volumes/{id}/labels/{axis}/{file}", ctx -> {
            InteractiveSession s = session(ctx);
            int[] ai = axisAndIndex(ctx);
            png(ctx, s.labelsPng(ai[0], ai[1]));
        });
        r.post("/api/volumes/{id}/segment", this::segment);
        r.post("/api/volumes/{id}/propagate", this::propagate);
        r.post("/api/volumes/{id}/undo", ctx -> {
            if (!session(ctx).undo()) {
                throw new ApiException(409, "nothing to undo");
            }
            json(ctx, 200, Map.of("undone", true));
        });
        r.get("/api/volumes/{id}/labels.nii.gz", ctx -> labelsFile(ctx, true));
        r.get("/api/volumes/{id}/labels.png", ctx -> labelsFile(ctx, false));
        r.exception(ApiException.class, (e, ctx) -> error(ctx, e.status(), e.getMessage()));
        r.exception(MedsaException.class, (e, ctx) -> error(ctx, 400, e.getMessage()));
        r.exception(Exception.class, (e, ctx) -> {
            String line = firstLine(e.getMessage());
            System.err.println("error: " + ctx.method() + " " + ctx.path() + ": " + (line.isEmpty() ? e.getClass().getSimpleName() : line));
            error(ctx, 500, "internal error while handling " + ctx.method() + " " + ctx.path()
                    + (line.isEmpty() ? "" : ": " + line));
        });
        r.error(404, "*", ctx -> {
            if (ctx.path().startsWith("/api/") && !isJson(ctx)) {
                error(ctx, 404, "no such route: " + ctx.method() + " " + ctx.path());
            }
        });
        r.error(405, "*", ctx -> {
            if (!isJson(ctx)) {
                error(ctx, 405, ctx.method() + " is not allowed on " + ctx.path());
            }
        });
    }

    private static boolean isJson(Context ctx) {
        String t = ctx.res().getContentType();
        return t != null && t.startsWith("application/json");
    }

    private InteractiveSession session(Context ctx) {
        String id = ctx.pathParam("id");
        InteractiveSession s = sessions.get(id);
        if (s == null || s.isClosed()) {
            throw ApiException.notFound("no open volume '" + id + "' (closed, freed after being idle, or never opened)");
        }
        return s;
    }

    private static int[] axisAndIndex(Context ctx) {
        int axis = integer(ctx.pathParam("axis"), "axis");
        String f = ctx.pathParam("file");
        if (!f.endsWith(".png")) {
            throw ApiException.notFound("no such route: " + ctx.path() + " (slices are <index>.png)");
        }
        return new int[] {axis, integer(f.substring(0, f.length() - 4), "slice index")};
    }

    private static int integer(String s, String what) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(what + " must be a whole number, got '" + s + "'");
        }
    }

    private static double[] window(String w) {
        return w == null ? null : Intensity.parseWindow(w, "window");
    }

    private void openVolume(Context ctx) throws IOException {
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
        InteractiveSession s;
        if (type.startsWith("application/octet-stream")) {
            String name = ctx.queryParam("name");
            if (name == null || name.isBlank()) {
                throw ApiException.badRequest("an upload needs ?name=<file name> (its extension tells the format, e.g. ct.nii.gz)");
            }
            String base = Path.of(name.replace('\\', '/')).getFileName() == null ? "" : Path.of(name.replace('\\', '/')).getFileName()
                    .toString();
            if (base.isEmpty() || base.startsWith(".") || base.indexOf('\0') >= 0) {
                throw ApiException.badRequest("upload name '" + name + "' is not a usable file name");
            }
            Path dir = Files.createTempDirectory(uploads, "u");
            Path file = dir.resolve(base);
            try {
                receive(ctx, file);
                s = open(file, base);
            } finally {
                deleteTree(dir);
            }
        } else {
            if (data == null) {
                throw ApiException.badRequest("this server has no data folder; upload the file's bytes"
                        + " (Content-Type: application/octet-stream, ?name=<file name>)");
            }
            JsonObject body = body(ctx);
            String path = string(body, "path");
            Path file = data.resolve(path);
            s = open(file, path);
        }
        json(ctx, 200, s.describe());
    }

    /**
     * How much of a refused upload is read and discarded before answering 413: a client (a browser's
     * fetch) sends the whole body before it reads the answer, and a connection closed under it
     * shows as a broken pipe instead of the error. Larger bodies are cut off.
     */
    static final long DRAIN_LIMIT = 64L << 20;

    private void receive(Context ctx, Path file) throws IOException {
        long declared = ctx.req().getContentLengthLong();
        if (declared > cfg.maxUploadBytes) {
            if (declared <= DRAIN_LIMIT) {
                drain(ctx.bodyInputStream(), DRAIN_LIMIT);
            }
            throw new ApiException(413, "upload of " + declared + " bytes exceeds the limit of " + cfg.maxUploadBytes + " bytes");
        }
        long total = 0;
        try (InputStream in = ctx.bodyInputStream(); OutputStream out = Files.newOutputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > cfg.maxUploadBytes) {
                    drain(in, DRAIN_LIMIT - total);
                    throw new ApiException(413, "upload exceeds the limit of " + cfg.maxUploadBytes + " bytes");
                }
                out.write(buf, 0, n);
            }
        }
        if (total == 0) {
            throw ApiException.badRequest("the upload is empty");
        }
    }

    /** Reads and discards up to {@code limit} bytes of {@code in}. */
    private static void drain(InputStream in, long limit) throws IOException {
        byte[] buf = new byte[1 << 16];
        for (long left = limit; left > 0; ) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n <= 0) {
                return;
            }
            left -= n;
        }
    }

    private static void deleteTree(Path dir) {
        try {
            AtomicFiles.deleteTree(dir);
        } catch (IOException ignored) {
            // a leftover temporary file goes with the system's temporary folder
        }
    }

    private void segment(Context ctx) {
        InteractiveSession s = session(ctx);
        JsonObject b = body(ctx);
        int axis = b.has("axis") && !b.get("axis").isJsonNull() ? whole(b, "axis") : 2;
        int index = whole(b, "index");
        int label = b.has("label") && !b.get("label").isJsonNull() ? whole(b, "label") : 1;
        List<double[]> points = new ArrayList<>();
        if (b.has("points") && !b.get("points").isJsonNull()) {
            JsonArray pts = array(b, "points");
            for (JsonElement p : pts) {
                points.add(numbers(p, "points[" + points.size() + "]"));
            }
        }
        double[] box = b.has("box") && !b.get("box").isJsonNull() ? numbers(b.get("box"), "box") : null;
        boolean previous = false;
        if (b.has("mask_input") && !b.get("mask_input").isJsonNull()) {
            String m = b.get("mask_input").isJsonPrimitive() ? b.get("mask_input").getAsString() : "";
            if (!m.equals("previous")) {
                throw ApiException.badRequest("mask_input must be \"previous\" or null, got " + b.get("mask_input"));
            }
            previous = true;
        }
        Boolean multimask = null;
        if (b.has("multimask") && !b.get("multimask").isJsonNull()) {
            if (!b.get("multimask").isJsonPrimitive() || !b.get("multimask").getAsJsonPrimitive().isBoolean()) {
                throw ApiException.badRequest("multimask must be true or false");
            }
            multimask = b.get("multimask").getAsBoolean();
        }
        InteractiveSession.SegmentResult r = s.segment(axis, index, points, box, previous, multimask, label);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("iou", r.iou());
        m.put("area", r.area());
        m.put("mask_png", Base64.getEncoder().encodeToString(Overlay.png(Overlay.maskImage(r.mask(), r.rows(), r.cols()))));
        json(ctx, 200, m);
    }

    private void propagate(Context ctx) {
        InteractiveSession s = session(ctx);
        JsonObject b = body(ctx);
        int axis = b.has("axis") && !b.get("axis").isJsonNull() ? whole(b, "axis") : 2;
        int from = whole(b, "from");
        int label = b.has("label") && !b.get("label").isJsonNull() ? whole(b, "label") : 1;
        Propagation.Direction d = Propagation.Direction.BOTH;
        if (b.has("direction") && !b.get("direction").isJsonNull()) {
            d = Propagation.Direction.parse(b.get("direction").getAsString());
        }
        int max = b.has("max_slices") && !b.get("max_slices").isJsonNull() ? whole(b, "max_slices") : Integer.MAX_VALUE;
        double minIou = 0;
        if (b.has("min_iou") && !b.get("min_iou").isJsonNull()) {
            minIou = numbers(wrap(b.get("min_iou")), "min_iou")[0];
        }
        json(ctx, 200, Map.of("slices", s.propagate(axis, from, label, d, max, minIou)));
    }

    private void labelsFile(Context ctx, boolean nifti) throws IOException {
        InteractiveSession s = session(ctx);
        if (nifti != s.input().isVolume()) {
            throw ApiException.notFound("this " + s.kind() + "'s labels are at " + s.labelsFileName());
        }
        Path dir = Files.createTempDirectory(uploads, "l");
        try {
            Path f = dir.resolve(s.labelsFileName());
            s.writeLabels(f);
            ctx.status(200).contentType(nifti ? "application/gzip" : "image/png")
                    .header("Content-Disposition", "attachment; filename=\"" + downloadName(s) + "\"")
                    .result(Files.readAllBytes(f));
        } finally {
            deleteTree(dir);
        }
    }

    /** "<image name without extension>_labels.nii.gz" (or .png), as the viewer names the download. */
    private static String downloadName(InteractiveSession s) {
        String n = Path.of(s.name().replace('\\', '/')).getFileName().toString();
        String stem = n.replaceAll("(?i)(\\.nii(\\.gz)?|\\.[^.]+)$", "").replaceAll("[^A-Za-z0-9._-]", "_");
        return (stem.isEmpty() ? "image" : stem) + "_" + s.labelsFileName();
    }

    private static JsonObject body(Context ctx) {
        String text;
        try {
            text = ctx.body();
        } catch (RuntimeException e) {
            throw new ApiException(413, "request body too large (" + firstLine(e.getMessage()) + ")");
        }
        if (text == null || text.isBlank()) {
            throw ApiException.badRequest("the request needs a JSON object body");
        }
        try {
            JsonElement e = JsonParser.parseString(text);
            if (!e.isJsonObject()) {
                throw ApiException.badRequest("the request body must be a JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException e) {
            java.util.regex.Matcher where = java.util.regex.Pattern.compile("line \\d+ column \\d+").matcher(String.valueOf(e.getMessage()));
            throw ApiException.badRequest("the request body is not valid JSON" + (where.find() ? " (at " + where.group() + ")" : ""));
        }
    }

    private static String string(JsonObject o, String key) {
        if (!o.has(key) || o.get(key).isJsonNull()) {
            throw ApiException.badRequest("\"" + key + "\" is missing");
        }
        if (!o.get(key).isJsonPrimitive() || !o.get(key).getAsJsonPrimitive().isString()) {
            throw ApiException.badRequest("\"" + key + "\" must be a string");
        }
        return o.get(key).getAsString();
    }

    private static int whole(JsonObject o, String key) {
        if (!o.has(key) || o.get(key).isJsonNull()) {
            throw ApiException.badRequest("\"" + key + "\" is missing");
        }
        JsonElement e = o.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw ApiException.badRequest("\"" + key + "\" must be a whole number, got " + e);
        }
        double d = e.getAsDouble();
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw ApiException.badRequest("\"" + key + "\" must be a whole number, got " + e);
        }
        return (int) d;
    }

    private static JsonArray array(JsonObject o, String key) {
        if (!o.get(key).isJsonArray()) {
            throw ApiException.badRequest("\"" + key + "\" must be a list");
        }
        return o.getAsJsonArray(key);
    }

    private static double[] numbers(JsonElement e, String what) {
        if (!e.isJsonArray()) {
            throw ApiException.badRequest(what + " must be a list of numbers, got " + e);
        }
        JsonArray a = e.getAsJsonArray();
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) {
            JsonElement x = a.get(i);
            if (x.isJsonPrimitive() && x.getAsJsonPrimitive().isString()) {
                String t = x.getAsString();
                if (t.equalsIgnoreCase("nan") || t.toLowerCase(Locale.ROOT).contains("infinity")) {
                    throw ApiException.badRequest(what + " holds a non-finite number (" + t + ")");
                }
            }
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()) {
                throw ApiException.badRequest(what + " must be a list of numbers, got " + e);
            }
            d[i] = x.getAsDouble();
            if (!Double.isFinite(d[i])) {
                throw ApiException.badRequest(what + " holds a non-finite number");
            }
        }
        return d;
    }

    private static JsonArray wrap(JsonElement e) {
        JsonArray a = new JsonArray();
        a.add(e);
        return a;
    }

    private static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(GSON.toJson(body));
    }

    private static void png(Context ctx, byte[] png) {
        ctx.status(200).contentType("image/png").header("Cache-Control", "no-cache").result(png);
    }

    private static void error(Context ctx, int status, String message) {
        json(ctx, status, Map.of("error", firstLine(message)));
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("").strip();
    }

    /** Stops listening, frees every session and the encoder. */
    @Override
    public void close() {
        if (app != null) {
            app.stop();
        }
        reaper.shutdownNow();
        for (InteractiveSession s : List.copyOf(sessions.values())) {
            s.close();
        }
        sessions.clear();
        encoder.close();
        deleteTree(uploads);
        stopped.countDown();
    }
}
