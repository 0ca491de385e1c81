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

    public PyObject(PyGlobal type, Object args) {
        this.type = type;
        this.args = args;
    }

    public PyGlobal type() {
        return type;
    }

    public Object args() {
        return args;
    }

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
