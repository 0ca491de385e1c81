package org.medsa.cli;

import ai.djl.Device;
import org.medsa.core.Diagnostics;
import org.medsa.core.nn.ComputePrecision;
import picocli.CommandLine.Option;

/** {@code --precision}, shared by every command that runs a model (docs/cli.md, "Precision"). */
public class PrecisionOption {

    @Option(names = "--precision", defaultValue = "fp32", paramLabel = "<fp32|bf16|fp16|auto>",
            description = "The arithmetic of the model's image encoder (and SAM 2's memory attention): fp32 (default, exact),"
                    + " bf16 (faster on CPUs with AVX512-BF16 or AMX and on GPUs), fp16 (SAM, GPUs), auto.")
    String precision;

    /** The choice; {@code auto} looks at {@code device} (null: the CPU's flags only) and says what it picked. */
    ComputePrecision resolve(Device device) {
        return ComputePrecision.parse(precision, device, Diagnostics.stderr());
    }

    /** As {@link #resolve}, with {@code --half} (the older spelling of fp16) taking precedence. */
    ComputePrecision resolve(Device device, boolean half) {
        return half ? ComputePrecision.FP16 : resolve(device);
    }
}
