package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Base of every block in this library: a DJL {@link AbstractBlock} whose children and parameters
 * also carry the names of the PyTorch module they mirror, so that the state-dict key of each
 * parameter ({@code image_encoder.blocks.0.attn.qkv.weight}) is known exactly.
 *
 * <p>Parameters have fixed shapes declared at construction; nothing depends on shape inference.
 * They are either randomly initialised ({@link #initialize}) or filled from a checkpoint.
 */
public abstract class TorchBlock extends AbstractBlock {

    private final Map<String, Block> namedChildren = new LinkedHashMap<>();
    private final Map<String, Parameter> namedParameters = new LinkedHashMap<>();
    private final Map<Parameter, Shape> declaredShapes = new LinkedHashMap<>();
    private final Set<Parameter> buffers = new HashSet<>();

    /** Adds a child under its PyTorch attribute name. */
    protected <B extends Block> B child(String name, B block) {
        addChildBlock(name, block);
        namedChildren.put(name, block);
        return block;
    }

    /** Declares a trainable parameter with its PyTorch name, shape and initialiser. */
    protected Parameter param(String name, Shape shape, Initializer init) {
        return declare(name, shape, init, true);
    }

    /** Declares a persistent, non-trainable buffer (such as SAM's random Fourier matrix). */
    protected Parameter buffer(String name, Shape shape, Initializer init) {
        Parameter p = declare(name, shape, init, false);
        buffers.add(p);
        return p;
    }

    /** Names of the persistent buffers below this block. */
    public Set<String> bufferNames() {
        Set<String> out = new LinkedHashSet<>();
        collectBuffers("", this, out);
        return out;
    }

    private static void collectBuffers(String prefix, Block block, Set<String> out) {
        if (block instanceof TorchBlock tb) {
            tb.namedParameters.forEach((n, p) -> {
                if (tb.buffers.contains(p)) {
                    out.add(prefix + n);
                }
            });
            tb.namedChildren.forEach((n, c) -> collectBuffers(prefix + n + ".", c, out));
        }
    }

    private Parameter declare(String name, Shape shape, Initializer init, boolean trainable) {
        Parameter p = addParameter(Parameter.builder()
                .setName(name)
                .setType(Parameter.Type.OTHER)
                .optInitializer(init)
                .optRequiresGrad(trainable)
                .build());
        namedParameters.put(name, p);
        declaredShapes.put(p, shape);
        return p;
    }

    /** The children by PyTorch name, in registration order. */
    public Map<String, Block> namedChildren() {
        return Collections.unmodifiableMap(namedChildren);
    }

    /** This block's own parameters by PyTorch name. */
    public Map<String, Parameter> directNamedParameters() {
        return Collections.unmodifiableMap(namedParameters);
    }

    /** The declared shape of one of this block's own parameters. */
    public Shape declaredShape(Parameter p) {
        return declaredShapes.get(p);
    }

    /**
     * All parameters below this block keyed by their state-dict names, in PyTorch's order (own
     * parameters first, then children in registration order).
     */
    public Map<String, Parameter> stateDictParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", this, out);
        return out;
    }

    /** Declared shapes of {@link #stateDictParameters()}. */
    public Map<String, Shape> stateDictShapes() {
        Map<String, Shape> out = new LinkedHashMap<>();
        collectShapes("", this, out);
        return out;
    }

    private static void collect(String prefix, Block block, Map<String, Parameter> out) {
        if (block instanceof TorchBlock tb) {
            tb.namedParameters.forEach((n, p) -> out.put(prefix + n, p));
            tb.namedChildren.forEach((n, c) -> collect(prefix + n + ".", c, out));
        }
    }

    private static void collectShapes(String prefix, Block block, Map<String, Shape> out) {
        if (block instanceof TorchBlock tb) {
            tb.namedParameters.forEach((n, p) -> out.put(prefix + n, tb.declaredShapes.get(p)));
            tb.namedChildren.forEach((n, c) -> collectShapes(prefix + n + ".", c, out));
        }
    }

    /** Initialises every parameter that has no value yet (checkpoint-loaded ones are kept). */
    public void initialize(NDManager manager, DataType dataType) {
        initialize(manager, dataType, new Shape[0]);
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        for (Map.Entry<Parameter, Shape> e : declaredShapes.entrySet()) {
            Parameter p = e.getKey();
            if (!p.isInitialized() && p.getShape() == null) {
                p.setShape(e.getValue());
            }
        }
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        for (Block c : namedChildren.values()) {
            c.initialize(manager, dataType, new Shape[0]);
        }
    }

    /**
     * The value of a parameter on the device of {@code like}, through the parameter store when
     * there is one (DJL's trainer copies parameters per device there).
     *
     * <p>It returns a view (no copy) attached to the manager of {@code like}: DJL attaches the
     * result of an operation to the manager of the array it is called on, so anything derived
     * from a raw parameter (a reshape, a transpose) would otherwise pile up in the model's
     * long-lived manager. Gradients flow through the view to the parameter.
     */
    protected static NDArray value(ParameterStore ps, Parameter p, NDArray like, boolean training) {
        NDArray a = ps == null ? p.getArray() : ps.getValue(p, like.getDevice(), training);
        NDArray view = a.getDevice().equals(like.getDevice())
                ? a.reshape(a.getShape())
                : a.toDevice(like.getDevice(), true);
        view.attach(like.getManager());
        if (Precision.isHalf(like) && view.getDataType() == DataType.FLOAT32) {
            // half-precision path (ImageEncoderViT.halfPrecision): a float16 or bfloat16 copy of the
            // float32 weight, cast inside the graph so a gradient would still reach the parameter
            view = Precision.cast(view, Precision.halfType(like));
        }
        return view;
    }

    /** Runs a child block on one array and returns its single output. */
    protected static NDArray run(Block block, ParameterStore ps, NDArray x, boolean training) {
        return block.forward(ps, new NDList(x), training, null).singletonOrThrow();
    }

    /**
     * Output shapes by running the block on zeros of the given shapes: exact for every block, and
     * only used by tools that ask (forward passes never need it).
     */
    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDList in = new NDList();
            for (Shape s : inputShapes) {
                in.add(m.zeros(s));
            }
            return forward(null, in, false, null).getShapes();
        }
    }
}
