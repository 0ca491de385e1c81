package org.medsa.data.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Record;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.data.testutil.Python;
import org.medsa.data.transforms.Sample;

class ImageMaskFolderDatasetTest {

    @TempDir
    Path dir;

    /**
     * PIL writes images and masks; numpy computes the documented targets (mean over raters of
     * mask != 0, or mask > 127 for JPEG masks) and the 0..255 RGB images.
     */
    private static final String MAKE = String.join("\n",
            "import sys, os, json, numpy as np",
            "from PIL import Image",
            "root = sys.argv[1]; os.makedirs(os.path.join(root, 'images')); os.makedirs(os.path.join(root, 'masks'))",
            "P = lambda *a: os.path.join(root, *a)",
            "rng = np.random.default_rng(4)",
            "h, w = 10, 12",
            "rows = np.arange(h)[:, None] * np.ones((1, w), dtype=int)",
            "cols = np.ones((h, 1), dtype=int) * np.arange(w)[None, :]",
            "out = {}",
            "rgb = rng.integers(0, 256, (h, w, 3)).astype(np.uint8)",
            "Image.fromarray(rgb, 'RGB').save(P('images', 'a.png'))",
            "m = ((rows < 4) * 255).astype(np.uint8); Image.fromarray(m, 'L').save(P('masks', 'a.png'))",
            "out['a'] = dict(image=rgb.transpose(2, 0, 1).flatten().tolist(), target=(m != 0).astype(float).flatten().tolist(), "
                    + "tol=0)",
            "gray = (rows * 20 + cols * 3).astype(np.uint8)",
            "Image.fromarray(gray, 'L').save(P('images', 'b.jpg'), quality=98)",
            "raters = [(rows < 5), (rows < 3), (rows < 3) | (cols == 0)]",
            "for i, r in enumerate(raters): Image.fromarray((r * 1).astype(np.uint8), 'L').save(P('masks', 'b_rater%d.png' % (i "
                    + "+ 1)))",
            "g3 = np.stack([np.asarray(Image.open(P('images', 'b.jpg')))] * 3)",
            "out['b'] = dict(image=g3.flatten().tolist(), target=np.mean([r.astype(float) for r in raters], "
                    + "0).flatten().tolist(), tol=0)",
            "Image.fromarray(rgb, 'RGB').save(P('images', 'c.bmp'))",
            "jm = (((rows > 5) & (cols > 3)) * 255).astype(np.uint8); Image.fromarray(jm, 'L').save(P('masks', 'c.jpg'), "
                    + "quality=90)",
            "jread = np.asarray(Image.open(P('masks', 'c.jpg'))).astype(int)",
            "out['c'] = dict(image=rgb.transpose(2, 0, 1).flatten().tolist(), target=(jread > "
                    + "127).astype(float).flatten().tolist(), tol=0, jpeg_mask=True)",
            "g16 = (rows * 6000 + cols * 17).astype(np.uint16)",
            "Image.fromarray(g16).save(P('images', 'd.png'))",
            "pm = Image.fromarray(((rows + cols) % 3).astype(np.uint8), 'P'); pm.putpalette([0, 0, 0, 255, 255, 255, 255, 0, "
                    + "0]); pm.save(P('masks', 'd.png'))",
            "out['d'] = dict(image=(np.stack([g16] * 3) * 255.0 / 65535).flatten().tolist(), target=(((rows + cols) % 3) != "
                    + "0).astype(float).flatten().tolist(), tol=1e-3)",
            "print(json.dumps(out))");

    @Test
    void targetsAndImagesFollowTheDocumentedRules() {
        JsonObject ref = Python.inputs("folder_dataset", MAKE, dir).getAsJsonObject();
        ImageMaskFolderDataset ds = ImageMaskFolderDataset.builder(dir).optSubset(Subset.ALL).build();
        assertEquals(4, ds.size());
        for (long i = 0; i < ds.size(); i++) {
            ImageMaskFolderDataset.Entry e = ds.info(i);
            JsonObject r = ref.getAsJsonObject(e.stem());
            Sample s = ds.sample(i);
            assertEquals(10, s.height());
            assertEquals(12, s.width());
            assertEquals(3, s.channels());
            JsonArray image = r.getAsJsonArray("image");
            JsonArray target = r.getAsJsonArray("target");
            // the JPEG image itself is compared with PIL's decode, within decoder rounding
            double tol = e.image().toString().endsWith(".jpg") ? 3 : r.get("tol").getAsDouble();
            for (int p = 0; p < image.size(); p++) {
                assertEquals(image.get(p).getAsDouble(), s.image()[p], tol, e.stem() + " pixel " + p);
            }
            int mismatches = 0;
            for (int p = 0; p < target.size(); p++) {
                if (Math.abs(target.get(p).getAsDouble() - s.target()[p]) > 1e-6) {
                    mismatches++;
                }
            }
            // JPEG masks are decoded by two different decoders: allow a pixel or two at the edge
            assertTrue(mismatches <= (r.has("jpeg_mask") ? 2 : 0), e.stem() + ": " + mismatches + " target pixels differ");
        }
        assertEquals(3, ds.entries().stream().filter(x -> x.stem().equals("b")).findFirst().orElseThrow().masks().size());
        try (NDManager manager = NDManager.newBaseManager()) {
            Record r = ds.get(manager, 1);
            assertEquals(new Shape(3, 10, 12), r.getData().head().getShape());
            assertEquals(new Shape(1, 10, 12), r.getLabels().head().getShape());
        }
    }

    @Test
    void splitIsSeededAndComplete() {
        Python.inputs("folder_dataset", MAKE, dir);
        Set<String> all = new HashSet<>();
        List<String> val = ImageMaskFolderDataset.builder(dir).optValidationFraction(0.25).optSubset(Subset.VALIDATION)
                .build().entries().stream().map(ImageMaskFolderDataset.Entry::stem).toList();
        List<String> train = ImageMaskFolderDataset.builder(dir).optValidationFraction(0.25).build()
                .entries().stream().map(ImageMaskFolderDataset.Entry::stem).toList();
        assertEquals(1, val.size());
        assertEquals(3, train.size());
        all.addAll(val);
        all.addAll(train);
        assertEquals(Set.of("a", "b", "c", "d"), all);
        assertEquals(val, ImageMaskFolderDataset.builder(dir).optValidationFraction(0.25).optSubset(Subset.VALIDATION)
                .build().entries().stream().map(ImageMaskFolderDataset.Entry::stem).toList());
    }

    private static final String MAKE_BAD = String.join("\n",
            "import sys, os, numpy as np",
            "from PIL import Image",
            "root = sys.argv[1]; os.makedirs(os.path.join(root, 'images')); os.makedirs(os.path.join(root, 'masks'))",
            "P = lambda *a: os.path.join(root, *a)",
            "z = np.zeros((8, 8), np.uint8)",
            "for n in ('e', 'f', 'g', 'ok'): Image.fromarray(z, 'L').save(P('images', n + '.png'))",
            "Image.fromarray(np.zeros((8, 9), np.uint8), 'L').save(P('masks', 'f.png'))",
            "Image.fromarray(z, 'L').save(P('masks', 'g.png')); Image.fromarray(z, 'L').save(P('masks', 'g_rater1.png'))",
            "Image.fromarray(z, 'L').save(P('masks', 'ok.png'))",
            "open(P('images', 'h.png'), 'w').write('not a png')",
            "Image.fromarray(z, 'L').save(P('masks', 'h.png'))",
            "print('{}')");

    @Test
    void allProblemsAreReportedAtOnce() {
        Python.inputs("folder_dataset_bad", MAKE_BAD, dir);
        DatasetValidationException e = assertThrows(DatasetValidationException.class,
                () -> ImageMaskFolderDataset.builder(dir).optSubset(Subset.ALL).build());
        List<String> p = e.problems();
        assertEquals(4, p.size(), String.join("\n", p));
        assertTrue(p.contains("images/e.png: no mask (expected masks/e.png or masks/e_rater1.png ...)"), p.toString());
        assertTrue(p.contains("masks/f.png: mask is 8x9 pixels but the image images/f.png is 8x8"), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.startsWith("masks/g.png: both a plain mask and rater masks")), p.toString());
        assertTrue(p.stream().anyMatch(x -> x.startsWith("images/h.png: ")), p.toString());
    }
}
