package org.medsa.core.nn;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;

/**
 * The arithmetic type of a model's heavy, frozen parts ({@code --precision}): {@code fp32} (the
 * default, exact to the official code), {@code bf16} (the image encoder's activations and weights
 * in bfloat16; its matmuls run faster than float32 on CPUs with AVX512-BF16 or AMX and on GPUs)
 * or {@code fp16} (the same in float16, for GPUs). LayerNorm statistics, the softmax's
 * accumulation, the adapters and everything after the encoder stay float32 ({@link Precision}).
 * SAM 2 models take fp32 or bf16 (their Hiera trunk and memory attention).
 */
public enum ComputePrecision {
    /** float32 everywhere. */
    FP32(DataType.FLOAT32),
    /** bfloat16 in the image encoder. */
    BF16(DataType.BFLOAT16),
    /** float16 in the image encoder. */
    FP16(DataType.FLOAT16);

    private final DataType dataType;

    ComputePrecision(DataType dataType) {
        this.dataType = dataType;
    }

    /** The type the encoder blocks compute in. */
    public DataType dataType() {
        return dataType;
    }

    /**
     * This precision for a SAM 2 model, which computes in fp32 or bf16.
     *
     * @throws MedsaException for fp16
     */
    public ComputePrecision forSam2() {
        if (this == FP16) {
            throw new MedsaException("--precision fp16 applies to SAM models; SAM 2 takes fp32 or bf16");
        }
        return this;
    }

    /** "fp32", "bf16" or "fp16". */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * {@code fp32}, {@code bf16}, {@code fp16}, or {@code auto}: bf16 on a GPU or on a CPU that
     * reports {@code avx512_bf16} or {@code amx_bf16}, else fp32; {@code auto} says in one line
     * to {@code notes} what it chose and why.
     *
     * @throws MedsaException for any other text
     */
    public static ComputePrecision parse(String text, Device device, Diagnostics notes) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "fp32": return FP32;
            case "bf16": return BF16;
            case "fp16": return FP16;
            case "auto": {
                boolean gpu = device != null && device.isGpu();
                String cpu = gpu ? null : cpuBf16Flag();
                ComputePrecision p = gpu || cpu != null ? BF16 : FP32;
                notes.note("precision auto: " + p.id() + (gpu ? " (GPU)" : cpu != null ? " (the CPU reports " + cpu + ")"
                        : " (the CPU reports no bfloat16 instructions)"));
                return p;
            }
            default:
                throw new MedsaException("--precision must be fp32, bf16, fp16 or auto, got '" + text + "'");
        }
    }

    /** "amx_bf16" or "avx512_bf16" if /proc/cpuinfo lists it, else null. */
    static String cpuBf16Flag() {
        try {
            String info = Files.readString(Path.of("/proc/cpuinfo"));
            for (String flag : new String[] {"amx_bf16", "avx512_bf16"}) {
                if (info.matches("(?s).*\\b" + flag + "\\b.*")) {
                    return flag;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or unreadable: no claim
        }
        return null;
    }
}
