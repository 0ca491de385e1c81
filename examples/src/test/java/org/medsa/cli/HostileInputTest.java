package org.medsa.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.io.Npy;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchCheckpointWriter;
import org.medsa.core.io.pth.TorchDType;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.nn.Ops;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.Reference;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiHeader;
import org.medsa.data.nifti.NiftiHeaders;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;

/**
 * The hostile inputs of the reliability review, one per class of failure: each must end with exit
 * code 2 and one line on stderr that names the file or argument, never a stack trace or an
 * exception's name, and must not write or destroy anything.
 */
class HostileInputTest {

    @TempDir
    static Path tmp;
    static Path volume;
    static Path data;

    static String cfg() {
        return Fixtures.path("sam_tiny", "config.json").toString();
    }

    static String ckpt() {
        return Fixtures.path("sam_tiny", "state_dict.pth").toString();
    }

    @BeforeAll
    static void files() {
        data = Phantom.builder().seed(4).size(24, 16, 6).cases(3).validationCases(1).rendering(Rendering.CT).build()
                .writeMsd(tmp.resolve("phantom"));
        volume = data.resolve("imagesTr").resolve("phantom_000.nii.gz");
    }

    /** Runs the CLI and checks the failure contract; returns stderr's one line. */
    static String refused(String... args) {
        CliRunner.Result r = CliRunner.run(args);
        assertEquals(2, r.exitCode(), "exit code for " + String.join(" ", args) + "; stderr: " + r.err() + "; stdout: "
                + r.out());
        List<String> lines = r.err().strip().lines().toList();
        assertEquals(1, lines.size(), "one line on stderr: " + r.err());
        String line = lines.get(0);
        assertTrue(line.startsWith("error: "), line);
        assertFalse(line.contains("Exception") || line.contains("Error:") || line.contains("\tat "), "no exception names: "
                + line);
        return line;
    }

    private static String[] segment(String image, String out, String... extra) {
        String[] base = {"segment", "--model", cfg(), "--checkpoint", ckpt(), "--image", image, "--out", out, "--device", "cpu"};
        String[] all = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void inputsAreNeverOverwritten() throws Exception {
        byte[] before = Files.readAllBytes(volume);
        String line = refused(segment(volume.toString(), volume.toString(), "--box", "2,2,2,10,10,3"));
        assertTrue(line.contains(volume.toString()) && line.contains("is the input image"), line);
        assertArrayEquals(before, Files.readAllBytes(volume));

        Path dir = Files.createDirectories(tmp.resolve("predict-in-place"));
        Path png = dir.resolve("mask.png");
        writePng(png, 40, 30);
        byte[] pngBefore = Files.readAllBytes(png);
        line = refused("predict", "--model", cfg(), "--checkpoint", ckpt(), "--image", png.toString(), "--point", "5,5,1",
                "--out", dir.toString(), "--device", "cpu");
        assertTrue(line.contains("mask.png") && line.contains("is an input of this run"), line);
        assertArrayEquals(pngBefore, Files.readAllBytes(png));

        line = refused("phantom", "--out", data.toString());
        assertTrue(line.contains(data.toString()) && line.contains("already exists and is not empty"), line);
    }

    @Test
    void nanAndInfinityNeverBecomeAResult() throws Exception {
        // a NaN weight in a checkpoint
        Path nanCkpt = tmp.resolve("nan_weights.pth");
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = Sam.load(SamConfig.load(Path.of(cfg())), Path.of(ckpt()), m);
            // an in-place write into a parameter: allowed only outside autograd (grad mode is per thread)
            Ops.noGrad(() -> {
                sam.stateDictParameters().get("mask_decoder.iou_token.weight").getArray().set(new NDIndex("0, 0"), Float.NaN);
                return null;
            });
            TorchCheckpointWriter.OrderedMap sd = new TorchCheckpointWriter.OrderedMap();
            sam.stateDictParameters().forEach((k, p) -> sd.put(k, TensorData.of(p.getArray())));
            TorchCheckpointWriter.write(nanCkpt, sd);
        }
        String line = refused("predict", "--model", cfg(), "--checkpoint", nanCkpt.toString(), "--image",
                Fixtures.path("sam_tiny", "image.npy").toString(), "--point", "10,10,1", "--out", tmp.resolve("p1").toString());
        assertTrue(line.contains("nan_weights.pth") && line.contains("mask_decoder.iou_token.weight") && line.contains("NaN"),
                line);

        // an all-NaN mask input
        Path mask = tmp.resolve("nan_mask.npy");
        float[] nan = new float[32 * 32];
        Arrays.fill(nan, Float.NaN);
        Npy.writeFloats(mask, nan, 32, 32);
        line = refused("predict", "--model", cfg(), "--checkpoint", ckpt(), "--image", Fixtures.path("sam_tiny", "image.npy")
                .toString(),
                "--mask-input", mask.toString(), "--out", tmp.resolve("p2").toString());
        assertTrue(line.contains("mask input holds NaN"), line);

        // pixel_std 0 in a config
        JsonObject c = JsonParser.parseString(Files.readString(Path.of(cfg()))).getAsJsonObject();
        c.add("pixel_std", JsonParser.parseString("[58.395, 0, 57.375]"));
        Path badCfg = tmp.resolve("std0.json");
        Files.writeString(badCfg, c.toString());
        line = refused("predict", "--model", badCfg.toString(), "--checkpoint", ckpt(), "--image",
                Fixtures.path("sam_tiny", "image.npy").toString(), "--point", "10,10,1", "--out", tmp.resolve("p3").toString());
        assertTrue(line.contains("std0.json") && line.contains("pixel_std[1] must be positive"), line);

        // a volume with NaN voxels (all, or a few: never an intensity guess on them)
        for (int bad : new int[] {24 * 16 * 6, 500}) {
            Path v = tmp.resolve("nan" + bad + ".nii.gz");
            float[] d = new float[24 * 16 * 6];
            for (int i = 0; i < d.length; i++) {
                d[i] = i < bad ? Float.NaN : -1000 + i;
            }
            NiftiWriter.write(NiftiImage.of(new ImageVolume(new Grid(24, 16, 6, Affine.identity()), d), NiftiDatatype.FLOAT32),
                    v);
            line = refused(segment(v.toString(), tmp.resolve("nanout.nii.gz").toString(), "--box", "2,2,2,10,10,3"));
            assertTrue(line.contains(v.toString()) && line.contains(bad + " of 2304 voxels are NaN or infinite"), line);
            assertFalse(Files.exists(tmp.resolve("nanout.nii.gz")));
        }
    }

    @Test
    void damagedOrUnsupportedImagesAreRefusedEverywhere() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("images"));
        Reference.inputs("cmyk_jpeg", CMYK, List.of("PIL"), dir);
        Path cmyk = dir.resolve("cmyk.jpg");
        String line = refused("predict", "--model", cfg(), "--checkpoint", ckpt(), "--image", cmyk.toString(), "--point", "5,5,1",
                "--out", tmp.resolve("c1").toString());
        assertTrue(line.contains("cmyk.jpg") && line.contains("CMYK"), line);
        line = refused(segment(cmyk.toString(), tmp.resolve("c2.png").toString(), "--point", "5,5,1"));
        assertTrue(line.contains("CMYK"), line);

        BufferedImage img = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(2);
        for (int y = 0; y < 240; y++) {
            for (int x = 0; x < 320; x++) {
                img.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        Path whole = dir.resolve("whole.jpg");
        ImageIO.write(img, "jpeg", whole.toFile());
        byte[] b = Files.readAllBytes(whole);
        Path cut = dir.resolve("cut.jpg");
        Files.write(cut, Arrays.copyOf(b, b.length * 6 / 10));
        line = refused("predict", "--model", cfg(), "--checkpoint", ckpt(), "--image", cut.toString(), "--point", "5,5,1",
                "--out", tmp.resolve("c3").toString());
        assertTrue(line.contains("cut.jpg") && line.contains("damaged JPEG"), line);
        line = refused("inspect", cut.toString());
        assertTrue(line.contains("damaged JPEG"), line);

        Path empty = dir.resolve("empty.npy");
        Npy.write(empty, new TensorData(TorchDType.UINT8, new long[] {0, 0, 3}, new byte[0]));
        line = refused("predict", "--model", cfg(), "--checkpoint", ckpt(), "--image", empty.toString(), "--point", "0,0,1",
                "--out", tmp.resolve("c4").toString());
        assertTrue(line.contains("empty.npy") && line.contains("1 to 65536 rows"), line);
    }

    static final String CMYK = String.join("\n",
            "import sys, json",
            "from PIL import Image",
            "Image.new('CMYK', (20, 10), (10, 200, 30, 0)).save(sys.argv[1] + '/cmyk.jpg', quality=95)",
            "print(json.dumps(dict(mode='CMYK')))");

    @Test
    void masksMustLieOnTheSameGrid() throws Exception {
        Path label = data.resolve("labelsTr").resolve("phantom_000.nii.gz");
        NiftiImage truth = NiftiReader.read(label);
        LabelVolume lv = truth.toLabelVolume();
        double[][] rows = truth.grid().affine().toRows();
        // shifted 30 mm, and mirrored
        double[][] shifted = {rows[0].clone(), rows[1].clone(), rows[2].clone(), rows[3].clone()};
        shifted[0][3] += 30;
        double[][] mirrored = {rows[0].clone(), rows[1].clone(), rows[2].clone(), rows[3].clone()};
        mirrored[0][0] = -mirrored[0][0];
        for (double[][] a : List.of(shifted, mirrored)) {
            Path moved = tmp.resolve("moved" + a[0][0] + ".nii.gz");
            NiftiWriter.write(NiftiImage.of(new LabelVolume(lv.grid().withAffine(Affine.of(a)), lv.data()),
                    NiftiDatatype.UINT8), moved);
            String line = refused("metrics", "--pred", moved.toString(), "--truth", label.toString());
            assertTrue(line.contains(moved.toString()) && line.contains("not on the same grid"), line);
        }
        // a training label 40 mm off its image
        Path off = tmp.resolve("offset-dataset");
        Files.createDirectories(off);
        copyTree(data, off);
        Path l0 = off.resolve("labelsTr").resolve("phantom_001.nii.gz");
        NiftiImage orig = NiftiReader.read(l0);
        double[][] r40 = orig.grid().affine().toRows();
        r40[1][3] += 40;
        NiftiWriter.write(NiftiImage.of(new LabelVolume(orig.toLabelVolume().grid().withAffine(Affine.of(r40)),
                orig.toLabelVolume().data()), NiftiDatatype.UINT8), l0);
        String line = refused("train", "--model", cfg(), "--checkpoint", ckpt(), "--adapters", "paper", "--data", off.toString(),
                "--steps", "1", "--out", tmp.resolve("off-run").toString(), "--device", "cpu");
        assertTrue(line.contains("phantom_001.nii.gz") && line.contains("does not lie on the image"), line);
        assertFalse(Files.exists(tmp.resolve("off-run")));
    }

    @Test
    void outputsThatCannotBeWrittenAndConfigsThatCannotBeBuilt() throws Exception {
        Path png = tmp.resolve("img2d.png");
        writePng(png, 40, 30);
        String line = refused(segment(png.toString(), tmp.toString(), "--point", "5,5,1"));
        assertTrue(line.contains("is a folder"), line);
        line = refused(segment(png.toString(), tmp.resolve("mask.nii.gz").toString(), "--point", "5,5,1"));
        assertTrue(line.contains("a 2D image's mask is written as PNG"), line);
        line = refused(segment(volume.toString(), tmp.resolve("mask.png").toString(), "--box", "2,2,2,10,10,3"));
        assertTrue(line.contains("a volume's mask is written as NIfTI"), line);
        Path readOnly = Files.createDirectories(tmp.resolve("ro"));
        readOnly.toFile().setWritable(false);
        if (!Files.isWritable(readOnly)) { // root can write anywhere
            line = refused(segment(png.toString(), readOnly.resolve("m.png").toString(), "--point", "5,5,1"));
            assertTrue(line.contains("m.png") && line.contains("cannot write"), line);
        }
        readOnly.toFile().setWritable(true);

        JsonObject c = JsonParser.parseString(Files.readString(Path.of(cfg()))).getAsJsonObject();
        c.getAsJsonObject("image_encoder").addProperty("depth", 100_000_000);
        Path deep = tmp.resolve("deep.json");
        Files.writeString(deep, c.toString());
        long t0 = System.nanoTime();
        line = refused("params", "--model", deep.toString(), "--adapters", "paper");
        assertTrue((System.nanoTime() - t0) / 1e9 < 5, "refused before allocating");
        assertTrue(line.contains("deep.json") && line.contains("beyond what this library runs"), line);

        c = JsonParser.parseString(Files.readString(Path.of(cfg()))).getAsJsonObject();
        c.getAsJsonObject("image_encoder").addProperty("img_size", 128.7);
        Path frac = tmp.resolve("frac.json");
        Files.writeString(frac, c.toString());
        line = refused("params", "--model", frac.toString());
        assertEquals("error: " + frac + ": image_encoder.img_size must be a whole number in range, got 128.7", line);
    }

    @Test
    void brokenNiftiGeometryIsNamed() throws Exception {
        Grid g = new Grid(8, 8, 4, Affine.diagonal(1, 1, 1, 0, 0, 0));
        NiftiHeader good = NiftiHeaders.forGrid(g, NiftiDatatype.FLOAT32).build();
        double[][] srow = good.srow();
        srow[0][1] = Double.NaN;
        Path nanRow = tmp.resolve("nan_srow.nii");
        NiftiWriter.write(NiftiImage.create(good.toBuilder().sform(1, srow).build(), new float[256], "x"), nanRow);
        String line = refused("inspect", nanRow.toString());
        assertTrue(line.contains("nan_srow.nii") && line.contains("non-finite value at row 0, column 1"), line);
        Path zero = tmp.resolve("zero_sform.nii");
        NiftiWriter.write(NiftiImage.create(good.toBuilder().sform(1, new double[3][4]).build(), new float[256], "x"), zero);
        line = refused("inspect", zero.toString());
        assertTrue(line.contains("zero_sform.nii") && line.contains("singular"), line);
        line = refused(segment(zero.toString(), tmp.resolve("z.nii.gz").toString(), "--box", "1,1,1,4,4,2"));
        assertTrue(line.contains("singular"), line);

        Path fourD = tmp.resolve("four_d.nii.gz");
        NiftiHeader h4 = good.toBuilder().dims(8, 8, 4, 2).build();
        NiftiWriter.write(NiftiImage.create(h4, new float[512], "x"), fourD);
        line = refused(segment(fourD.toString(), tmp.resolve("f.nii.gz").toString(), "--box", "1,1,1,4,4,2"));
        assertTrue(line.contains("four_d.nii.gz") && line.contains("4D volume of 2 frames"), line);
    }

    @Test
    void argumentsAreNeverReinterpreted() throws Exception {
        String line = refused("train", "--model", cfg(), "--checkpoint", ckpt(), "--adapters", "paper", "--data", data.toString(),
                "--steps", "0", "--out", tmp.resolve("r0").toString());
        assertEquals("error: --steps must be at least 1, got 0", line);
        line = refused("train", "--model", cfg(), "--checkpoint", ckpt(), "--adapters", "paper", "--data", data.toString(),
                "--validate-every", "-5", "--out", tmp.resolve("r1").toString());
        assertEquals("error: --validate-every must be at least 1, got -5", line);
        line = refused(segment(volume.toString(), tmp.resolve("rev.nii.gz").toString(), "--box", "10,10,3,2,2,2"));
        assertTrue(line.contains("is reversed"), line);
        Path png = tmp.resolve("img2d-axis.png");
        writePng(png, 40, 30);
        line = refused(segment(png.toString(), tmp.resolve("a.png").toString(), "--point", "5,5,1", "--axis", "1"));
        assertTrue(line.contains("--axis applies to volumes only"), line);
        line = refused(segment(png.toString(), tmp.resolve("a.png").toString(), "--point", "5,5,1", "--intensity", "ct"));
        assertTrue(line.contains("--intensity applies to volumes only"), line);

        // a dataset whose labels are all background
        Path empty = tmp.resolve("no-organs");
        Files.createDirectories(empty);
        copyTree(data, empty);
        for (Path l : Files.list(empty.resolve("labelsTr")).toList()) {
            NiftiImage n = NiftiReader.read(l);
            LabelVolume lv = n.toLabelVolume();
            NiftiWriter.write(NiftiImage.of(new LabelVolume(lv.grid(), new int[lv.data().length]), NiftiDatatype.UINT8), l);
        }
        line = refused("eval", "--model", cfg(), "--checkpoint", ckpt(), "--data", empty.toString(), "--prompts", "1-point",
                "--out", tmp.resolve("ev").toString(), "--device", "cpu");
        assertTrue(line.contains("nothing to evaluate"), line);
        assertFalse(Files.exists(tmp.resolve("ev").resolve("results.json")));
    }

    @Test
    void aGpuThatIsNotThereIsNamedAsSuch() {
        String line = refused("predict", "--model", cfg(), "--checkpoint", ckpt(), "--image",
                Fixtures.path("sam_tiny", "image.npy").toString(),
                "--point", "10,10,1", "--out", tmp.resolve("g").toString(), "--device", "gpu");
        assertTrue(line.contains("no GPU found"), line);
        line = refused("train", "--model", cfg(), "--checkpoint", ckpt(), "--adapters", "paper", "--data", data.toString(),
                "--steps", "1", "--out", tmp.resolve("g2").toString(), "--devices", "gpu:1");
        assertTrue(line.contains("no GPU found"), line);
    }

    @Test
    void theSecondReviewsCasesAreAnsweredInOneLine() throws Exception {
        // a folder given as a checkpoint
        Path png = tmp.resolve("small.png");
        writePng(png, 20, 16);
        String line = refused("predict", "--model", cfg(), "--checkpoint", tmp.toString(), "--image", png.toString(), "--point",
                "1,1,1", "--out", tmp.resolve("p-out").toString());
        assertTrue(line.contains(tmp + ": is a folder"), line);
        // an image too large for this JVM: says what it needs, before reading it
        Path huge = tmp.resolve("huge.png");
        BufferedImage img = new BufferedImage(20000, 20000, BufferedImage.TYPE_BYTE_BINARY);
        ImageIO.write(img, "png", huge.toFile());
        line = refused("predict", "--model", cfg(), "--checkpoint", ckpt(), "--image", huge.toString(), "--point", "1,1,1",
                "--out", tmp.resolve("huge-out").toString());
        assertTrue(line.contains("huge.png") && line.contains("20000 x 20000") && line.contains("-Xmx"), line);
        // a host name that does not resolve: our line only, before Jetty
        line = refused("serve", "--model", cfg(), "--checkpoint", ckpt(), "--host", "no-such-host.invalid", "--port", "0");
        assertTrue(line.contains("no-such-host.invalid") && line.contains("no such host"), line);
        // training settings that cannot work are refused before any line about the data or the model
        line = refused("train", "--model", cfg(), "--checkpoint", ckpt(), "--adapters", "paper", "--data", data.toString(),
                "--out", tmp.resolve("run-batch").toString(), "--batch", "100000", "--devices", "cpu");
        assertTrue(line.contains("fewer than one batch of 100000"), line);
        line = refused("train", "--model", cfg(), "--checkpoint", ckpt(), "--adapters", "paper", "--data", data.toString(),
                "--out", tmp.resolve("run-deep").toString(), "--volumetric", "1000", "--devices", "cpu");
        assertTrue(line.contains("chunks of 1000 slices") && line.contains("at most 6"), line);
        assertFalse(Files.exists(tmp.resolve("run-batch").resolve("config.json")));
        // a 64-bit label beyond what the library reads is named as such, not as "not an integer"
        Grid g = new Grid(2, 2, 1, Affine.diagonal(1, 1, 1, 0, 0, 0));
        Path big = tmp.resolve("big-label.nii");
        long label = (1L << 53) + 1;
        NiftiHeader h = NiftiHeaders.forGrid(g, NiftiDatatype.INT64).build();
        NiftiWriter.write(NiftiImage.create(h, new int[4], "big"), big);
        byte[] bytes = Files.readAllBytes(big);
        ByteBuffer.wrap(bytes, 352, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(label);
        Files.write(big, bytes);
        line = refused("metrics", "--pred", big.toString(), "--truth", big.toString());
        assertTrue(line.contains("big-label.nii") && line.contains(Long.toString(label)) && line.contains("32-bit"), line);
    }

    @Test
    void manifestsWithoutTheirColumnsAreNamedAndLeaveNothingBehind() throws Exception {
        Path noId = Files.writeString(tmp.resolve("no-id.csv"), "image,box\n" + volume + ",\n");
        Path out = tmp.resolve("batch-out");
        String line = refused("batch", "--manifest", noId.toString(), "--out", out.toString(), "--model", cfg(), "--checkpoint",
                ckpt(),
                "--master", "local[1]");
        assertTrue(line.contains("no-id.csv") && line.contains("no column 'id'"), line);
        assertFalse(Files.exists(out), "nothing is created for a refused manifest");
        Path empty = Files.writeString(tmp.resolve("empty.csv"), "");
        line = refused("batch", "--manifest", empty.toString(), "--out", out.toString(), "--model", cfg(), "--checkpoint", ckpt(),
                "--master", "local[1]");
        assertTrue(line.contains("empty.csv") && line.contains("empty"), line);
        assertFalse(Files.exists(out));
        Path headerOnly = Files.writeString(tmp.resolve("header-only.csv"), "id,image\n");
        CliRunner.Result r = CliRunner.run("batch", "--manifest", headerOnly.toString(), "--out", out.toString(), "--model",
                cfg(),
                "--checkpoint", ckpt(), "--master", "local[1]");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("header-only.csv") && r.err().contains("no rows"), r.err());
        assertTrue(r.out().startsWith("0 rows"), r.out());
    }

    private static void writePng(Path f, int w, int h) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 6) << 16 | (y * 8) << 8 | 90);
            }
        }
        ImageIO.write(img, "png", f.toFile());
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (var s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(t);
                } else {
                    Files.copy(p, t, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
