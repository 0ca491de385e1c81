package org.medsa.core.io.pth;

import ai.djl.ndarray.types.DataType;
import org.medsa.core.MedsaException;

/** PyTorch storage element types, by their pickled storage class names. */
public enum TorchDType {
    /** 32-bit float ({@code torch.FloatStorage}). */
    FLOAT32("FloatStorage", "float32", 4, DataType.FLOAT32),
    /** 64-bit float ({@code torch.DoubleStorage}). */
    FLOAT64("DoubleStorage", "float64", 8, DataType.FLOAT64),
    /** 16-bit IEEE half float ({@code torch.HalfStorage}). */
    FLOAT16("HalfStorage", "float16", 2, DataType.FLOAT16),
    /** 16-bit brain float ({@code torch.BFloat16Storage}). */
    BFLOAT16("BFloat16Storage", "bfloat16", 2, DataType.BFLOAT16),
    /** 64-bit signed integer ({@code torch.LongStorage}). */
    INT64("LongStorage", "int64", 8, DataType.INT64),
    /** 32-bit signed integer ({@code torch.IntStorage}). */
    INT32("IntStorage", "int32", 4, DataType.INT32),
    /** 16-bit signed integer ({@code torch.ShortStorage}). */
    INT16("ShortStorage", "int16", 2, DataType.INT16),
    /** 8-bit signed integer ({@code torch.CharStorage}). */
    INT8("CharStorage", "int8", 1, DataType.INT8),
    /** 8-bit unsigned integer ({@code torch.ByteStorage}). */
    UINT8("ByteStorage", "uint8", 1, DataType.UINT8),
    /** Boolean, one byte per element ({@code torch.BoolStorage}). */
    BOOL("BoolStorage", "bool", 1, DataType.BOOLEAN);

    private final String storageName;
    private final String name;
    private final int elementSize;
    private final DataType djlType;

    TorchDType(String storageName, String name, int elementSize, DataType djlType) {
        this.storageName = storageName;
        this.name = name;
        this.elementSize = elementSize;
        this.djlType = djlType;
    }

    /** The storage class name without module, e.g. {@code FloatStorage}. */
    public String storageName() {
        return storageName;
    }

    /** The dtype name as PyTorch/NumPy print it, e.g. {@code float32}. */
    public String typeName() {
        return name;
    }

    /** Bytes per element. */
    public int elementSize() {
        return elementSize;
    }

    /** The matching DJL data type. */
    public DataType djlType() {
        return djlType;
    }

    /** True for the float types (float32, float64, float16, bfloat16). */
    public boolean isFloating() {
        return this == FLOAT32 || this == FLOAT64 || this == FLOAT16 || this == BFLOAT16;
    }

    /** Finds the dtype of a pickled storage class such as {@code torch.FloatStorage}. */
    public static TorchDType fromStorage(PyGlobal storageType) {
        for (TorchDType t : values()) {
            if (t.storageName.equals(storageType.name())) {
                return t;
            }
        }
        return null;
    }

    /** Finds the dtype for a DJL data type. */
    public static TorchDType fromDjl(DataType type) {
        for (TorchDType t : values()) {
            if (t.djlType == type) {
                return t;
            }
        }
        throw new MedsaException("no PyTorch storage type for " + type);
    }
}
