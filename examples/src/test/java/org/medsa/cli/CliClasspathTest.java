package org.medsa.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.testing.Fixtures;
import org.medsa.server.SegmentationServer;
import org.medsa.server.ServedModel;

/**
 * The CLI ships the server (Jetty 12, jakarta.servlet 6) and Spark (javax.servlet) in one class
 * path: both must start in the same JVM, with the dependency versions the CLI jar gets.
 */
class CliClasspathTest {

    @TempDir
    Path tmp;

    @Test
    void theServerAndSparkStartInOneJvm() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path base = Fixtures.path("sam_tiny", "state_dict.pth");
            Sam sam = ModelLoader.of(SamConfig.load(Fixtures.path("sam_tiny", "config.json")), base).load(m);
            try (SegmentationServer s = SegmentationServer.builder(ServedModel.of(sam, "sam_tiny", base), m).dataFolder(tmp)
                    .port(0)
                    .build().start()) {
                HttpClient http = HttpClient.newHttpClient();
                HttpResponse<String> page = http.send(HttpRequest.newBuilder(s.url()).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, page.statusCode());
                assertTrue(page.body().contains("viewer"), "the viewer page");
                HttpResponse<String> health = http.send(HttpRequest.newBuilder(s.url().resolve("/api/health")).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode());
                assertTrue(health.body().contains("\"status\":\"ok\""), health.body());
                SparkSession spark = SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false")
                        .config("spark.driver.host", "127.0.0.1").getOrCreate();
                try {
                    assertEquals(3, spark.range(3).count());
                } finally {
                    spark.stop();
                }
            }
        }
    }
}
