package org.medsa.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPrediction;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.LiveReferences;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.transforms.Slicer;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumePair;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The viewer in a real browser (Debian's headless Chromium through Selenium): open a phantom
 * volume, click inside an organ, and check that the overlay the page draws is, pixel for pixel,
 * the mask SamPredictor gives for that click, and that the labels the page downloads are that mask
 * in the volume's geometry. Skipped, with the reason, where Chromium and its driver are not
 * installed ({@code .ci/run} installs them).
 */
class BrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");

    @TempDir
    Path tmp;

    @Test
    void clickInAnOrganShowsThePredictorsMaskAndDownloadsIt() throws Exception {
        LiveReferences.assumeInstalled(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
                "Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver)");
        Path data = Files.createDirectories(tmp.resolve("data"));
        Phantom ph = Phantom.builder().seed(9).size(40, 28, 12).cases(2).validationCases(1).rendering(Rendering.MR).build();
        VolumePair vp = ph.generate(0).volumes();
        ImageVolume v = vp.image();
        Path file = data.resolve("phantom.nii.gz");
        NiftiWriter.write(NiftiImage.of(v, NiftiDatatype.FLOAT32), file);
        Path downloads = Files.createDirectories(tmp.resolve("downloads"));

        // the click: the centre of organ 1 on the middle slice (axis 2, slice 6): rows = i, columns = j
        int k = 6;
        LabelVolume truth = vp.label();
        long sr = 0, sc = 0, n = 0;
        for (int i = 0; i < 40; i++) {
            for (int j = 0; j < 28; j++) {
                if (truth.get(i, j, k) == 1) {
                    sr += i;
                    sc += j;
                    n++;
                }
            }
        }
        assertTrue(n > 20, "organ 1 lies on slice " + k);
        int row = (int) (sr / n);
        int col = (int) (sc / n);

        try (NDManager manager = NDManager.newBaseManager()) {
            Path base = Fixtures.path("sam_tiny", "state_dict.pth");
            Sam sam = ModelLoader.of(SamConfig.load(Fixtures.path("sam_tiny", "config.json")), base).load(manager);
            SamPrediction want;
            try (SamPredictor pr = new SamPredictor(sam, manager)) {
                int[] hw = Slicer.sliceShape(v.grid(), 2);
                pr.setImage(RgbImage.fromGray(Slicer.slice(Intensity.mr().apply(v), 2, k), hw[0], hw[1]));
                want = pr.predict(new Prompt().point(col, row, 1), false); // the page sends multimask false
            }
            boolean[] mask = want.mask(0);
            int area = 0;
            for (boolean b : mask) {
                area += b ? 1 : 0;
            }
            assertTrue(area > 0, "the tiny model finds something at the click");

            try (SegmentationServer server = SegmentationServer.builder(ServedModel.of(sam, "sam_tiny", base), manager)
                    .dataFolder(data).port(0).build().start()) {
                ChromeOptions options = new ChromeOptions();
                options.setBinary(CHROMIUM.toFile());
                options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                        "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
                        "--window-size=1200,900", "--user-data-dir=" + tmp.resolve("profile"));
                Map<String, Object> prefs = new HashMap<>();
                prefs.put("download.default_directory", downloads.toString());
                prefs.put("download.prompt_for_download", false);
                options.setExperimentalOption("prefs", prefs);
                ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                        .usingAnyFreePort().build();
                ChromeDriver driver = new ChromeDriver(service, options);
                try {
                    // headless Chromium saves downloads only where told to
                    driver.executeCdpCommand("Browser.setDownloadBehavior",
                            Map.of("behavior", "allow", "downloadPath", downloads.toString(),
                            "eventsEnabled", false));
                    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
                    driver.get(server.url().toString());
                    wait.until(d -> d.findElements(By.cssSelector("#file-select option[value='phantom.nii.gz']")).size() == 1);
                    wait.until(d -> d.findElements(By.cssSelector("body.busy")).isEmpty());
                    new Select(driver.findElement(By.id("file-select"))).selectByValue("phantom.nii.gz");
                    driver.findElement(By.id("open-button")).click();
                    wait.until(d -> d.findElement(By.id("status")).getText().startsWith("opened"));
                    assertEquals("6 / 12", driver.findElement(By.id("slice-label")).getText());

                    // opacity 100 %: labelled pixels show the label colour exactly, others stay gray
                    ((JavascriptExecutor) driver).executeScript(
                            "const o = document.getElementById('opacity'); o.value = 100; o.dispatchEvent(new Event('input'));");
                    WebElement canvas = driver.findElement(By.id("viewer"));
                    int zoom = 512 / 40; // the page zooms by the largest integer that fits 512 pixels
                    assertEquals(28 * zoom, canvas.getSize().getWidth());
                    assertEquals(40 * zoom, canvas.getSize().getHeight());
                    int dx = (int) ((col + 0.5) * zoom) - canvas.getSize().getWidth() / 2;
                    int dy = (int) ((row + 0.5) * zoom) - canvas.getSize().getHeight() / 2;
                    new Actions(driver).moveToElement(canvas, dx, dy).click().perform();
                    wait.until(d -> d.findElement(By.id("status")).getText().startsWith("segmented label 1 on slice 6"));
                    assertEquals(String.valueOf(area), driver.findElement(By.id("last-mask")).getDomAttribute("data-area"));
                    assertEquals(want.iouPredictions()[0],
                            Float.parseFloat(driver.findElement(By.id("last-mask")).getDomAttribute("data-iou")),
                            0);
                    driver.findElement(By.id("clear-button")).click(); // no prompt markers over the pixels
                    @SuppressWarnings("unchecked")
                    List<Long> px = (List<Long>) ((JavascriptExecutor) driver).executeScript(
                            "const c = document.getElementById('viewer'); const z = arguments[0];"
                                    + "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const out = [];"
                                    + "for (let r = 0; r < c.height / z; r++) for (let q = 0; q < c.width / z; q++) {"
                                    + "  const o = 4 * ((r * z + (z >> 1)) * c.width + q * z + (z >> 1));"
                                    + "  out.push(d[o] === 30 && d[o + 1] === 144 && d[o + 2] === 255 ? 1 : (d[o] === d[o + 1] "
                                            + "&& d[o + 1] === d[o + 2] ? 0 : 2)); }"
                                    + "return out;", zoom);
                    boolean[] shown = new boolean[px.size()];
                    for (int p = 0; p < shown.length; p++) {
                        assertTrue(px.get(p) != 2, "pixel " + p + " is neither gray nor the label colour");
                        shown[p] = px.get(p) == 1;
                    }
                    assertArrayEquals(mask, shown, "the page's overlay is the predictor's mask");
                    Files.write(Path.of("target", "browser-test.png"), driver.getScreenshotAs(OutputType.BYTES));

                    // download through the page's link, and compare with the mask in the volume's geometry
                    driver.findElement(By.id("download-link")).click();
                    File got = downloads.resolve("phantom_labels.nii.gz").toFile();
                    new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> got.isFile() && got.length() > 0
                            && !downloads.resolve("phantom_labels.nii.gz.crdownload").toFile().exists());
                    NiftiImage labels = NiftiReader.read(got.toPath());
                    assertTrue(labels.grid().matches(v.grid(), 1e-6));
                    int[] l = labels.toLabelVolume().data();
                    int[] expected = new int[l.length];
                    int[] hw = Slicer.sliceShape(v.grid(), 2);
                    int[] slice = new int[hw[0] * hw[1]];
                    for (int p = 0; p < slice.length; p++) {
                        slice[p] = mask[p] ? 1 : 0;
                    }
                    Slicer.put(expected, v.grid(), 2, k, slice);
                    assertArrayEquals(expected, l);
                } finally {
                    driver.quit();
                }
            }
        }
    }
}
