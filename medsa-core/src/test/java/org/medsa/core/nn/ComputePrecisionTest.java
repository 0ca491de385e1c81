package org.medsa.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;

/** {@code --precision}: the names, auto's choice against what /proc/cpuinfo says, and the one-line error. */
class ComputePrecisionTest {

    @Test
    void namesAutoAndErrors() throws Exception {
        assertEquals(DataType.FLOAT32, ComputePrecision.parse("fp32", null, Diagnostics.none()).dataType());
        assertEquals(DataType.BFLOAT16, ComputePrecision.parse("BF16", null, Diagnostics.none()).dataType());
        assertEquals(ComputePrecision.FP16, ComputePrecision.parse(" fp16 ", null, Diagnostics.none()));
        assertEquals("bf16", ComputePrecision.BF16.id());

        List<String> notes = new ArrayList<>();
        ComputePrecision auto = ComputePrecision.parse("auto", Device.cpu(), Diagnostics.of(notes::add));
        String info = Files.isReadable(Path.of("/proc/cpuinfo")) ? Files.readString(Path.of("/proc/cpuinfo")) : "";
        boolean bf16 = info.contains(" avx512_bf16") || info.contains(" amx_bf16");
        assertEquals(bf16 ? ComputePrecision.BF16 : ComputePrecision.FP32, auto);
        assertEquals(1, notes.size(), notes.toString());
        assertTrue(notes.get(0).startsWith("precision auto: " + auto.id()), notes.get(0));

        MedsaException e = assertThrows(MedsaException.class, () -> ComputePrecision.parse("half", null, Diagnostics.none()));
        assertEquals("--precision must be fp32, bf16, fp16 or auto, got 'half'", e.getMessage());
    }
}
