package org.medsa.core.io.pth;

/**
 * An instance of a Python class we do not model (e.g. {@code argparse.Namespace}): its class, the
 * arguments it was built with, and the state set by {@code BUILD}. Kept so unknown objects inside
 * a checkpoint do not stop the load of its tensors.
 */
public final class PyObject {
    private final PyGlobal type;
    private final Object args;
    private Object state;

    /** An object of class {@code type} built from {@code args}, with no state yet. */
    public PyObject(PyGlobal type, Object args) {
        this.type = type;
        this.args = args;
    }

    /** The object's Python class. */
    public PyGlobal type() {
        return type;
    }

    /** The arguments the object was built with. */
    public Object args() {
        return args;
    }

    /** The state set by {@code BUILD}, or null if there was none. */
    public Object state() {
        return state;
    }

    void setState(Object state) {
        this.state = state;
    }

    @Override
    public String toString() {
        return type.fullName() + "(" + args + (state == null ? "" : ", state=" + state) + ")";
    }
}
