package org.medsa.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.nn.ComputePrecision;
import org.medsa.demo.DemoSetup;
import org.medsa.server.SegmentationServer;
import org.medsa.server.ServedModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code medsa serve}: the interactive segmentation server and its browser viewer ({@link
 * SegmentationServer}). With no model and no data it serves the demo's adapted model and MR-like
 * phantom volumes from a cache folder, so it runs right after cloning.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve interactive segmentation: a browser viewer at / and a JSON API (docs/server.md).",
            "Without --model/--checkpoint/--data: the demo's model (pre-trained on CT-like phantoms, adapted to MR-like ones)"
                    + " and MR-like phantom volumes, kept in ~/.cache/medsa (or $XDG_CACHE_HOME/medsa)."})
public final class ServeCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "<vit_b|vit_l|vit_h|sam2.1_hiera_t|...|medsam2|config.json>",
            description = "Model preset or config.json (with --checkpoint): SAM, or SAM 2, which propagates with its memory.")
    String model;
    @Option(names = "--family", defaultValue = "sam", paramLabel = "<sam|sam2>",
            description = "Without --model: the demo's SAM adapted to MR-like phantoms (sam, the default) or the demo's SAM 2"
                    + " with CT-like phantoms (sam2).")
    String family;
    @Option(names = "--checkpoint", paramLabel = "<file.pth|file.pt>", description = "The model's weights (with --model).")
    Path checkpoint;
    @Option(names = "--adapters", paramLabel = "<paper|official-code>",
            description = "Build Med-SA with this adapter preset (default: plain SAM).")
    String adapters;
    @Option(names = "--adapter-weights", paramLabel = "<file>", description = "Adapter file written by 'medsa train'.")
    Path adapterWeights;
    @Option(names = "--input-profile", paramLabel = "<sam|medsam|msa-compat>",
            description = "How images enter the model (default: as recorded).")
    String inputProfile;
    @Option(names = {"--device", "--devices"}, defaultValue = "auto", paramLabel = "<auto|cpu|gpu|gpu:N>",
            description = "Where to compute (default: ${DEFAULT-VALUE}).")
    String device;
    @Mixin PrecisionOption precision;
    @Option(names = "--data", paramLabel = "<dir>",
            description = "The folder whose images may be opened (default with the demo model: phantom volumes).")
    Path data;
    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "<address>",
            description = "Address to listen on (default ${DEFAULT-VALUE}: this machine only; 0.0.0.0 opens it to the network).")
    String host;
    @Option(names = "--port", defaultValue = "8080", paramLabel = "N",
            description = "Port (default ${DEFAULT-VALUE}; 0 = any free port).")
    int port;
    @Option(names = "--cache-mb", defaultValue = "1024", paramLabel = "MB",
            description = "Memory for cached image embeddings (default ${DEFAULT-VALUE}).")
    long cacheMb;
    @Option(names = "--cache-dir", paramLabel = "<dir>",
            description = "Also keep embeddings on disk here, so a restart does not re-encode.")
    Path cacheDir;
    @Option(names = "--max-upload-mb", defaultValue = "512", paramLabel = "MB",
            description = "Largest upload accepted (default ${DEFAULT-VALUE}).")
    long maxUploadMb;
    @Option(names = "--idle-minutes", defaultValue = "30", paramLabel = "N",
            description = "Free volumes unused this long (default ${DEFAULT-VALUE}).")
    long idleMinutes;
    @Option(names = "--api-token", paramLabel = "<token>",
            description = "Require 'Authorization: Bearer <token>' on every route (MONAI Label clients log in with the token as"
                    + " the password); for a server bound beyond 127.0.0.1. Also read from MEDSA_API_TOKEN.")
    String apiToken;
    @Option(names = "--no-look-ahead", description = "Do not encode the neighbours of the viewed slice ahead of time.")
    boolean noLookAhead;
    @Option(names = "--verbose", description = "Print stack traces of errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        if ((model == null) != (checkpoint == null)) {
            throw new MedsaException(model == null ? "--checkpoint needs --model" : "--model needs --checkpoint");
        }
        if (port < 0 || port > 65535) {
            throw new MedsaException("--port must be 0..65535, got " + port);
        }
        if (cacheMb < 0 || maxUploadMb < 1 || idleMinutes < 1) {
            throw new MedsaException(cacheMb < 0 ? "--cache-mb must be >= 0" : maxUploadMb < 1 ? "--max-upload-mb must be >= 1"
                    : "--idle-minutes must be >= 1");
        }
        boolean demo = model == null;
        if (!"sam".equals(family) && !"sam2".equals(family)) {
            throw new MedsaException("--family must be sam or sam2, got '" + family + "'");
        }
        if (!demo && !"sam".equals(family)) {
            throw new MedsaException("--family chooses a demo model; with --model the checkpoint says which family it is");
        }
        Path cache = cacheRoot();
        if (demo && (adapters != null || adapterWeights != null || inputProfile != null)) {
            throw new MedsaException("--adapters, --adapter-weights and --input-profile need --model and --checkpoint");
        }
        if (data != null && !Files.isDirectory(data)) {
            throw new MedsaException(data + ": --data must be a folder");
        }
        if (adapterWeights != null && !Files.isRegularFile(adapterWeights)) {
            throw new MedsaException(adapterWeights + ": no such adapter file");
        }
        if (checkpoint != null && !Files.isRegularFile(checkpoint)) {
            throw new MedsaException(checkpoint + ": no such checkpoint file");
        }
        NDManager manager = NDManager.newBaseManager(Devices.one(device));
        ServedModel served;
        if (demo) {
            boolean sam2 = "sam2".equals(family);
            ComputePrecision p = precision.resolve(manager.getDevice());
            served = sam2 ? DemoSetup.sam2Model(manager, cache.resolve("demo-sam2-model"), p.forSam2())
                    : DemoSetup.model(manager, cache.resolve("demo-model"), Diagnostics.stderr(), p);
            if (data == null) {
                data = sam2 ? DemoSetup.ctData(cache.resolve("demo-data-ct")) : DemoSetup.data(cache.resolve("demo-data"));
            }
            if (cacheDir == null) {
                cacheDir = cache.resolve("embeddings");
            }
        } else {
            PromptableModel loaded = ModelLoader.forModel(model, checkpoint).adapterWeights(adapterWeights).adapters(adapters)
                    .precision(precision.resolve(manager.getDevice()))
                    .inputProfile(inputProfile).notes(Diagnostics.stderr()).loadModel(manager);
            served = ServedModel.of(loaded, checkpoint.getFileName()
                    + (adapterWeights == null ? "" : " + " + adapterWeights.getFileName()),
                    checkpoint, adapterWeights);
        }
        String name = String.valueOf(served.description().get("name"));
        SegmentationServer server = SegmentationServer.builder(served, manager).dataFolder(data).host(host).port(port)
                .cacheBytes(cacheMb << 20).cacheDir(cacheDir).maxUploadBytes(maxUploadMb << 20)
                .idleMillis(idleMinutes * 60_000L).lookAhead(!noLookAhead)
                .apiToken(apiToken != null ? apiToken : System.getenv("MEDSA_API_TOKEN")).build();
        try {
            server.start();
        } catch (RuntimeException e) {
            server.close();
            manager.close();
            throw e;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            manager.close();
        }, "medsa-serve-shutdown"));
        System.err.printf(Locale.ROOT, "model: %s; data: %s%s%n", name, data == null ? "(uploads only)" : data,
                cacheDir == null ? "" : "; embedding cache: " + cacheDir);
        System.out.println("serving at " + server.url());
        System.err.println("MONAI Label server URL (3D Slicer's MONAILabel module, OHIF): " + server.url()
                + "  models: medsa_2d, medsa_3d" + (server.authEnabled() ? "  (log in with the API token as the password)" : ""));
        System.out.flush();
        server.awaitStop();
        return 0;
    }

    /** -Dmedsa.cache.dir, else $XDG_CACHE_HOME/medsa, else ~/.cache/medsa. */
    static Path cacheRoot() {
        String override = System.getProperty("medsa.cache.dir");
        if (override != null && !override.isBlank()) {
            return Path.of(override);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path root = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return root.resolve("medsa");
    }
}
