package org.medsa.server;

import ai.djl.ndarray.NDManager;
import io.javalin.Javalin;
import io.javalin.http.staticfiles.Location;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.modeling.Sam;
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
 * idle longer than the idle limit are freed. The parts: {@link ViewerApi} (routes), {@code
 * JsonRequests} (typed request parsing), {@code UploadReceiver}, {@code SessionRegistry}.
 */
public final class SegmentationServer implements AutoCloseable {

    /** The version clients are told ({@code GET /info/}). */
    public static final String VERSION = "0.1.0";

    /** What sessions share: the model, where arrays live, the encoder and the settings. */
    record Shared(PromptableModel model, NDManager manager, String modelIdentity, SliceEncoder encoder, boolean lookAhead,
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
        private Diagnostics diagnostics = Diagnostics.stderr();
        private String apiToken;

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

        /** Where warnings and internal errors are reported (default standard error); clients get their answers either way. */
        public Builder diagnostics(Diagnostics d) {
            this.diagnostics = d;
            return this;
        }

        /** Whether neighbours of the viewed slice are encoded ahead of time (default true). */
        public Builder lookAhead(boolean on) {
            this.lookAhead = on;
            return this;
        }

        /**
         * A token every route then requires as {@code Authorization: Bearer <token>} (MONAI Label
         * clients log in with it as the password), for a server reachable beyond this machine; null
         * (the default): no authentication.
         */
        public Builder apiToken(String token) {
            if (token != null && (token.isBlank() || token.length() < 8 || !token.matches("[\\x21-\\x7e]+"))) {
                throw new MedsaException("the API token must be at least 8 printable characters without spaces");
            }
            this.apiToken = token;
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

    private final Builder cfg;
    private final DataFolder data;
    private final EmbeddingCache cache;
    private final SliceEncoder encoder;
    private final Shared context;
    private final SessionRegistry sessions;
    private final UploadReceiver uploads;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Javalin app;

    private SegmentationServer(Builder b) {
        this.cfg = b;
        this.data = b.dataFolder == null ? null : new DataFolder(b.dataFolder);
        this.cache = new EmbeddingCache(b.cacheBytes, b.cacheDir, b.diagnostics);
        // SAM's slice embeddings go through the shared encoder queue and cache; SAM 2's trackers keep their own features
        this.encoder = b.model.model() instanceof Sam sam ? new SliceEncoder(sam, b.manager, cache) : null;
        this.context = new Shared(b.model.model(), b.manager, b.model.identity(), encoder, b.lookAhead && encoder != null,
                b.encodeTimeoutSeconds);
        this.sessions = new SessionRegistry(b.maxSessions, b.idleMillis);
        this.uploads = new UploadReceiver(b.maxUploadBytes);
    }

    /**
     * Starts listening.
     *
     * @throws MedsaException if the address cannot be resolved or bound (e.g. the port is taken)
     */
    public SegmentationServer start() {
        try {
            InetAddress.getByName(cfg.host);
        } catch (UnknownHostException e) {
            throw new MedsaException("cannot serve on " + cfg.host + ": no such host name or address");
        }
        ViewerApi api = new ViewerApi(this, sessions, uploads, data, cfg.diagnostics);
        MonaiLabelApi monai = new MonaiLabelApi(this, sessions, uploads, data, new MonaiLabelModels(context), cfg.apiToken,
                cfg.idleMillis);
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
            config.routes.before(monai::authorize);
            monai.register(config.routes);
            api.register(config.routes);
        });
        try {
            a.start();
        } catch (RuntimeException e) {
            throw new MedsaException("cannot serve on " + cfg.host + ":" + cfg.port + " (" + rootMessage(e) + ")", e);
        }
        this.app = a;
        sessions.start();
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

    /** True when every route requires the API token. */
    public boolean authEnabled() {
        return cfg.apiToken != null;
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
            throw new MedsaException(e.getMessage() == null ? name + ": unreadable" : e.getMessage()
                    .replace(file.toString(), name), e);
        }
        return sessions.add(id -> new InteractiveSession(id, name, input, context));
    }

    /** An open session, or null. */
    public InteractiveSession session(String id) {
        return sessions.get(id);
    }

    /** What {@code GET /api/health} answers: status, model, sessions, cache and encoder statistics. */
    Map<String, Object> health() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("status", "ok");
        m.put("model", cfg.model.description());
        m.put("sessions", sessions.size());
        m.put("cache", cache.stats());
        m.put("encoder", encoder == null ? null : encoder.stats());
        return m;
    }

    /** Stops listening, frees every session and the encoder. */
    @Override
    public void close() {
        if (app != null) {
            app.stop();
        }
        sessions.close();
        if (encoder != null) {
            encoder.close();
        }
        uploads.close();
        stopped.countDown();
    }
}
