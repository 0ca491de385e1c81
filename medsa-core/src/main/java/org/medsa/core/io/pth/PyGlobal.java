package org.medsa.core.io.pth;

/** A reference to a Python class or function, as pickled by {@code GLOBAL}. */
public record PyGlobal(String module, String name) {

    /** The dotted name, e.g. {@code torch._utils._rebuild_tensor_v2}. */
    public String fullName() {
        return module + "." + name;
    }

    @Override
    public String toString() {
        return fullName();
    }
}
