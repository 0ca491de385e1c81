package org.medsa.core.io.pth;

import ai.djl.ndarray.types.DataType;

/** PyTorch storage element types, by their pickled storage class names. */
public enum TorchDType {
    FLOAT32("FloatStorage", "float32", 4, DataType.FLOAT32),
    FLOAT64("DoubleStorage", "float64", 8, DataType.FLOAT64),
    FLOAT16("HalfStorage", "float16", 2, DataType.FLOAT16),
    BFLOAT16("BFloat16Storage", "bfloat16", 2, DataType.BFLOAT16),
    INT64("LongStorage", "int64", 8, DataType.INT64),
    INT32("IntStorage", "int32", 4, DataType.INT32),
    INT16("ShortStorage", "int16", 2, DataType.INT16),
    INT8("CharStorage", "int8", 1, DataType.INT8),
    UINT8("ByteStorage", "uint8", 1, DataType.UINT8),
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

    public int elementSize() {
        return elementSize;
    }

    public DataType djlType() {
        return djlType;
    }

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
        throw new IllegalArgumentException("no PyTorch storage type for " + type);
    }
}
