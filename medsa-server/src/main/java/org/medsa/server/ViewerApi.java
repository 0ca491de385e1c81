package org.medsa.server;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.data.transforms.Intensity;

/**
 * The viewer's JSON API under {@code /api/} (docs/server.md): files, volumes, slices, segment,
 * propagate, undo, label downloads, health. Requests are parsed by {@link JsonRequests}, uploads
 * received by {@link UploadReceiver}, sessions found in the {@link SessionRegistry}; the work is
 * the sessions'.
 */
final class ViewerApi {

    private static final Gson GSON = new GsonBuilder().serializeNulls().disableHtmlEscaping().create();

    private final SegmentationServer server;
    private final SessionRegistry sessions;
    private final UploadReceiver uploads;
    private final DataFolder data;
    private final Diagnostics diagnostics;

    ViewerApi(SegmentationServer server, SessionRegistry sessions, UploadReceiver uploads, DataFolder data,
            Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
        this.server = server;
        this.sessions = sessions;
        this.uploads = uploads;
        this.data = data;
    }

    void register(RoutesConfig r) {
        r.get("/api/health", ctx -> json(ctx, 200, server.health()));
        r.get("/api/files", ctx -> json(ctx, 200, Map.of("files", data == null ? List.of() : data.list())));
        r.post("/api/volumes", this::openVolume);
        r.get("/api/volumes/{id}", ctx -> json(ctx, 200, session(ctx).describe()));
        r.delete("/api/volumes/{id}", ctx -> {
            InteractiveSession s = session(ctx);
            sessions.remove(s);
            json(ctx, 200, Map.of("deleted", s.id()));
        });
        r.get("/api/volumes/{id}/slices/{axis}/{file}", ctx -> {
            InteractiveSession s = session(ctx);
            int[] ai = axisAndIndex(ctx);
            String w = ctx.queryParam("window");
            png(ctx, s.slicePng(ai[0], ai[1], w == null ? null : Intensity.parseWindow(w, "window")));
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
        r.get("/api/volumes/{id}/labels.nii.gz", ctx -> labelsFile(ctx, "nii.gz"));
        r.get("/api/volumes/{id}/labels.nrrd", ctx -> labelsFile(ctx, "nrrd"));
        r.get("/api/volumes/{id}/labels.dcm", ctx -> labelsFile(ctx, "dcm"));
        r.get("/api/volumes/{id}/labels.png", ctx -> labelsFile(ctx, "png"));
        r.exception(MedsaException.class, (e, ctx) -> error(ctx, ApiException.statusOf(e), e.getMessage()));
        r.exception(Exception.class, (e, ctx) -> {
            String line = JsonRequests.firstLine(e.getMessage());
            diagnostics.warn("internal error: " + ctx.method() + " " + ctx.path() + ": "
                    + (line.isEmpty() ? e.getClass().getSimpleName() : line));
            error(ctx, 500, "internal error while handling " + ctx.method() + " " + ctx.path()
                    + (line.isEmpty() ? "" : ": " + line));
        });
        r.error(404, "*", ctx -> {
            if ((ctx.path().startsWith("/api/") || MonaiLabelApi.isProtocolPath(ctx.path())) && !isJson(ctx)) {
                error(ctx, 404, "no such route: " + ctx.method() + " " + ctx.path());
            }
        });
        r.error(405, "*", ctx -> {
            if (!isJson(ctx)) {
                error(ctx, 405, ctx.method() + " is not allowed on " + ctx.path());
            }
        });
    }

    private InteractiveSession session(Context ctx) {
        return sessions.require(ctx.pathParam("id"));
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
            throw new MedsaException(what + " must be a whole number, got '" + s + "'");
        }
    }

    private void openVolume(Context ctx) throws IOException {
        String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(Locale.ROOT);
        InteractiveSession s;
        if (type.startsWith("application/octet-stream")) {
            String base = UploadReceiver.fileName(ctx.queryParam("name"));
            Path dir = uploads.newFolder("u");
            try {
                Path file = dir.resolve(base);
                uploads.receive(ctx, file);
                s = server.open(file, base);
            } finally {
                UploadReceiver.delete(dir);
            }
        } else {
            if (data == null) {
                throw new MedsaException("this server has no data folder; upload the file's bytes"
                        + " (Content-Type: application/octet-stream, ?name=<file name>)");
            }
            JsonObject body = JsonRequests.body(ctx);
            String path = JsonRequests.string(body, "path");
            s = server.open(data.resolve(path), path);
        }
        json(ctx, 200, s.describe());
    }

    private void segment(Context ctx) {
        InteractiveSession s = session(ctx);
        JsonRequests.Segment q = JsonRequests.Segment.of(JsonRequests.body(ctx));
        InteractiveSession.SegmentResult r = s.segment(q.axis(), q.index(), q.points(), q.box(), q.usePrevious(), q.multimask(),
                q.label());
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("iou", r.iou());
        m.put("area", r.area());
        m.put("mask_png", Base64.getEncoder().encodeToString(SliceRenderer.mask(r.mask(), r.rows(), r.cols())));
        json(ctx, 200, m);
    }

    private void propagate(Context ctx) {
        InteractiveSession s = session(ctx);
        JsonRequests.Propagate q = JsonRequests.Propagate.of(JsonRequests.body(ctx));
        json(ctx, 200, Map.of("slices", s.propagate(q.axis(), q.from(), q.label(), q.direction(), q.maxSlices(), q.minIou())));
    }

    private void labelsFile(Context ctx, String ext) throws IOException {
        InteractiveSession s = session(ctx);
        boolean volumeFormat = !ext.equals("png");
        if (volumeFormat != s.input().isVolume() || (ext.equals("dcm") && s.input().dicom() == null)) {
            String also = s.input().dicom() != null ? " (or labels.nrrd, labels.dcm)"
                    : s.input().isVolume() ? " (or labels.nrrd)" : "";
            throw ApiException.notFound("this " + s.kind() + "'s labels are at " + s.labelsFileName() + also
                    + (ext.equals("dcm") && s.input().isVolume() ? "; a DICOM SEG is offered for DICOM series only" : ""));
        }
        Path dir = uploads.newFolder("l");
        try {
            Path f = dir.resolve("labels." + ext);
            s.writeLabels(f);
            String type = switch (ext) {
                case "png" -> "image/png";
                case "dcm" -> "application/dicom";
                case "nii.gz" -> "application/gzip";
                default -> "application/octet-stream";
            };
            ctx.status(200).contentType(type)
                    .header("Content-Disposition", "attachment; filename=\"" + downloadName(s, ext) + "\"")
                    .result(Files.readAllBytes(f));
        } finally {
            UploadReceiver.delete(dir);
        }
    }

    /** "<image name without extension>_labels.<ext>", as the viewer names the download. */
    private static String downloadName(InteractiveSession s, String ext) {
        String n = Path.of(s.name().replace('\\', '/')).getFileName().toString();
        String stem = n.replaceAll("(?i)(\\.nii(\\.gz)?|\\.[^.]+)$", "").replaceAll("[^A-Za-z0-9._-]", "_");
        return (stem.isEmpty() ? "image" : stem) + "_labels." + ext;
    }

    private static boolean isJson(Context ctx) {
        String t = ctx.res().getContentType();
        return t != null && t.startsWith("application/json");
    }

    static void json(Context ctx, int status, Object body) {
        ctx.status(status).contentType("application/json").result(GSON.toJson(body));
    }

    private static void png(Context ctx, byte[] png) {
        ctx.status(200).contentType("image/png").header("Cache-Control", "no-cache").result(png);
    }

    /** A refusal: {@code {"error": ...}} under /api/, FastAPI's {@code {"detail": ...}} on the MONAI Label routes. */
    static void error(Context ctx, int status, String message) {
        json(ctx, status, Map.of(ctx.path().startsWith("/api/") ? "error" : "detail", JsonRequests.firstLine(message)));
    }

    static String toJson(Object body) {
        return GSON.toJson(body);
    }
}
