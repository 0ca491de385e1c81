package org.medsa.core.io.pth;

/** A reference to a Python class or function, as pickled by {@code GLOBAL}. */
public record PyGlobal(String module, String name) {

    public String fullName() {
        return module + "." + name;
    }

    @Override
    public String toString() {
        return fullName();
    }
}
