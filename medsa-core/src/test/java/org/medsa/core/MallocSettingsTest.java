package org.medsa.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The tests run with the allocator settings of malloc.env, the one place they are written. */
class MallocSettingsTest {

    @Test
    void theTestJvmHasTheSettingsOfMallocEnv() throws Exception {
        Map<String, String> want = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("..", "malloc.env"))) {
            if (!line.isBlank() && !line.startsWith("#")) {
                String[] kv = line.split("=", 2);
                want.put(kv[0].trim(), kv[1].trim());
            }
        }
        assertEquals(5, want.size(), "malloc.env's settings: " + want);
        for (Map.Entry<String, String> e : want.entrySet()) {
            assertTrue(e.getKey().startsWith("MALLOC_") || e.getKey().equals("GLIBC_TUNABLES"), e.getKey());
            assertEquals(e.getValue(), System.getenv(e.getKey()), e.getKey() + " in the test JVM's environment");
        }
    }
}
