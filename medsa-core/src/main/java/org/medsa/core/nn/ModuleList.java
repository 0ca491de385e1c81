package org.medsa.core.nn;

import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** {@code torch.nn.ModuleList}: children named 0, 1, 2, … It is a container only. */
public class ModuleList<B extends Block> extends TorchBlock {

    private final List<B> items = new ArrayList<>();

    /** Appends {@code block} as the next child (named by its index) and returns it. */
    public B add(B block) {
        child(String.valueOf(items.size()), block);
        items.add(block);
        return block;
    }

    /** Item {@code i}. */
    public B get(int i) {
        return items.get(i);
    }

    /** Number of items. */
    public int size() {
        return items.size();
    }

    /** The items in order (read-only). */
    public List<B> items() {
        return Collections.unmodifiableList(items);
    }

    /** Applies the items in sequence (the way {@code nn.Sequential} does). */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList x = inputs;
        for (B b : items) {
            x = b.forward(ps, x, training, params);
        }
        return x;
    }
}
