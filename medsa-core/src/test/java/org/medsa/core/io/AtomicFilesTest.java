package org.medsa.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path tmp;

    @Test
    void appendedRecordsAreWholeLines() throws Exception {
        Path log = tmp.resolve("log").resolve("metrics.jsonl");
        for (int i = 0; i < 50; i++) {
            AtomicFiles.appendRecord(log, "{\"step\": " + i + "}");
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertEquals(50, lines.size());
        assertEquals("{\"step\": 49}", lines.get(49));
        try (Stream<Path> s = Files.list(log.getParent())) {
            assertEquals(List.of("metrics.jsonl"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void concurrentWritersOfOneFileNeverRemoveEachOthersTemporaries() throws Exception {
        Path target = tmp.resolve("shared.bin");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                byte fill = (byte) t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        AtomicFiles.write(target, out -> {
                            byte[] b = new byte[64 << 10];
                            Arrays.fill(b, fill);
                            out.write(b);
                        });
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(); // a writer whose temporary was removed under it would fail here
            }
        } finally {
            pool.shutdown();
        }
        byte[] last = Files.readAllBytes(target);
        assertEquals(64 << 10, last.length);
        for (byte b : last) {
            assertEquals(last[0], b, "one writer's whole content, never a mix");
        }
    }

    @Test
    void replaceFolderSwapsAWholeFolder() throws Exception {
        Path target = tmp.resolve("table");
        Files.createDirectories(target);
        Files.writeString(target.resolve("old.txt"), "old");
        Path fresh = AtomicFiles.temporarySibling(target);
        Files.writeString(fresh.resolve("new.txt"), "new");
        AtomicFiles.replaceFolder(fresh, target);
        assertTrue(Files.isRegularFile(target.resolve("new.txt")));
        assertFalse(Files.exists(target.resolve("old.txt")));
        assertFalse(Files.exists(fresh));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of("table"), s.map(p -> p.getFileName().toString()).toList(), "no .old or temporary folder left");
        }
    }
}
