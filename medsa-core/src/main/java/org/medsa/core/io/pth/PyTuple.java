package org.medsa.core.io.pth;

import java.util.List;

/** A Python tuple read from a pickle (kept apart from lists so the structure stays visible). */
public record PyTuple(List<Object> items) {

    /** Item {@code i} of the tuple. */
    public Object get(int i) {
        return items.get(i);
    }

    /** Number of items. */
    public int size() {
        return items.size();
    }
}
