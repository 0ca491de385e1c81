package org.medsa.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.MedsaException;
import org.medsa.core.io.pth.TorchCheckpoint;
import org.medsa.core.io.pth.TorchDType;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.testing.Fixtures;

/** Bad checkpoints fail with one clear line that names the file and the problem. */
class BadCheckpointTest {

    @TempDir
    Path tmp;

    private static String loadError(Path file, SamConfig cfg) {
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaException e = assertThrows(MedsaException.class, () -> Sam.load(cfg, file, m));
            assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
            assertTrue(e.getMessage().startsWith(file.toString()), "names the file: " + e.getMessage());
            return e.getMessage();
        }
    }

    private static SamConfig tiny() {
        return SamConfig.load(Fixtures.path("sam_tiny", "config.json"));
    }

    @Test
    void missingFile() {
        String m = loadError(tmp.resolve("nope.pth"), tiny());
        assertTrue(m.contains("no such file"), m);
    }

    @Test
    void truncatedFile() throws Exception {
        byte[] all = Files.readAllBytes(Fixtures.path("sam_tiny", "state_dict.pth"));
        Path f = tmp.resolve("truncated.pth");
        Files.write(f, Arrays.copyOf(all, all.length / 2));
        String m = loadError(f, tiny());
        assertTrue(m.contains("truncated"), m);
    }

    @Test
    void corruptedTensorBytesFailTheCrcCheck() throws Exception {
        byte[] all = Files.readAllBytes(Fixtures.path("sam_tiny", "state_dict.pth"));
        // flip bytes in the middle of the file, inside some tensor's data record
        for (int i = all.length / 2; i < all.length / 2 + 16; i++) {
            all[i] ^= 0x5a;
        }
        Path f = tmp.resolve("corrupt.pth");
        Files.write(f, all);
        String m = loadError(f, tiny());
        assertTrue(m.contains("CRC") || m.contains("damaged"), m);
    }

    @Test
    void notACheckpoint() throws Exception {
        Path f = tmp.resolve("text.pth");
        Files.writeString(f, "this is not a checkpoint");
        String m = loadError(f, tiny());
        assertTrue(m.contains("not a PyTorch checkpoint"), m);
    }

    @Test
    void checkpointOfAnotherConfigListsEveryMismatchByName() {
        SamConfig other = tiny();
        other.imageEncoder.depth = 5;
        other.imageEncoder.embedDim = 48;
        other.imageEncoder.numHeads = 4;
        String m = loadError(Fixtures.path("sam_tiny", "state_dict.pth"), other);
        assertTrue(m.contains("does not match the model config"), m);
        assertTrue(m.contains("missing [image_encoder.blocks.4."), m);
        assertTrue(m.contains("image_encoder.pos_embed [1, 8, 8, 64] vs model [1, 8, 8, 48]"), m);
    }

    @Test
    void medsaCheckpointIntoPlainSamReportsAdaptersAndRenamedTables() {
        SamConfig cfg = SamConfig.load(Fixtures.path("medsa_tiny", "config.json"));
        cfg.imageEncoder.posEmbedGrid = 64;
        String m = loadError(Fixtures.path("medsa_tiny", "state_dict.pth"), cfg);
        assertTrue(m.contains("unexpected") && m.contains("Space_Adapter"), m);
        assertTrue(m.contains("missing") && m.contains("attn.rel_pos_h"), m);
    }

    @Test
    void tensorStructureIsReadWithoutValues() {
        try (TorchCheckpoint c = TorchCheckpoint.open(Fixtures.path("sam_tiny", "state_dict.pth"))) {
            var g = c.stateDict().get("prompt_encoder.pe_layer.positional_encoding_gaussian_matrix");
            assertEquals(TorchDType.FLOAT32, g.dtype());
            assertArrayEquals(new long[] {2, 16}, g.shape()); // (2, embed_dim / 2) of sam_tiny's 32-wide prompt encoder
            long numbers = c.stateDict().values().stream().mapToLong(t -> t.numel()).sum();
            assertEquals(307_628L, numbers, "the fixture's README: 307,628 numbers in the state dict");
        }
    }
}
