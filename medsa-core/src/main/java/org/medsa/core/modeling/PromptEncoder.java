package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.MedsaException;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.nn.ActivationBlock;
import org.medsa.core.nn.Conv2d;
import org.medsa.core.nn.Embedding;
import org.medsa.core.nn.LayerNorm2d;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.ModuleList;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;

/**
 * SAM's prompt encoder (docs/model.md, "Prompt encoder"): points and boxes become sparse tokens, a low-res mask becomes
 * a dense embedding. Children {@code pe_layer}, {@code point_embeddings.0-3}, {@code
 * not_a_point_embed}, {@code mask_downscaling.0-6}, {@code no_mask_embed}.
 */
public class PromptEncoder extends TorchBlock {

    /** Point label of the padding point SAM appends when there is no box. */
    public static final int LABEL_PAD = -1;

    /** Sparse (B, T, C) and dense (B, C, h, w) prompt embeddings. */
    public record Embeddings(NDArray sparse, NDArray dense) {}

    private final SamConfig.PromptEncoder cfg;
    private final PositionEmbeddingRandom peLayer;
    private final ModuleList<Embedding> pointEmbeddings;
    private final Embedding notAPointEmbed;
    private final ModuleList<Block> maskDownscaling;
    private final Embedding noMaskEmbed;

    /** SAM's prompt encoder for {@code cfg}. */
    public PromptEncoder(SamConfig.PromptEncoder cfg) {
        this.cfg = cfg;
        int c = cfg.embedDim;
        // Registration order follows SAM, so the state-dict order matches too.
        this.peLayer = child("pe_layer", new PositionEmbeddingRandom(c / 2, 1.0));
        this.pointEmbeddings = child("point_embeddings", new ModuleList<>());
        for (int i = 0; i < 4; i++) {
            pointEmbeddings.add(new Embedding(1, c));
        }
        this.notAPointEmbed = child("not_a_point_embed", new Embedding(1, c));
        this.maskDownscaling = child("mask_downscaling", new ModuleList<>());
        int m = cfg.maskInChans;
        maskDownscaling.add(new Conv2d(1, m / 4, 2, 2, 0, true));
        maskDownscaling.add(new LayerNorm2d(m / 4));
        maskDownscaling.add(new ActivationBlock(Mlp.Activation.GELU));
        maskDownscaling.add(new Conv2d(m / 4, m, 2, 2, 0, true));
        maskDownscaling.add(new LayerNorm2d(m));
        maskDownscaling.add(new ActivationBlock(Mlp.Activation.GELU));
        maskDownscaling.add(new Conv2d(m, c, 1, 1, 0, true));
        this.noMaskEmbed = child("no_mask_embed", new Embedding(1, c));
    }

    /** The encoder's arguments. */
    public SamConfig.PromptEncoder config() {
        return cfg;
    }

    /** Side lengths (h, w) of a mask prompt: 4× the embedding grid. */
    public int[] maskInputSize() {
        return new int[] {4 * cfg.imageEmbeddingSize[0], 4 * cfg.imageEmbeddingSize[1]};
    }

    /**
     * {@code get_dense_pe()}: (1, C, h, w) encoding of the embedding grid. In inference it depends
     * only on the frozen Gaussian matrix, so it is computed once per matrix and handed out as a view
     * in {@code manager}'s scope (every interactive click used to recompute it; docs/performance.md).
     */
    public NDArray densePositionalEncoding(ParameterStore ps, NDManager manager, boolean training) {
        if (training || ps != null) {
            return peLayer.dense(ps, manager, cfg.imageEmbeddingSize[0], cfg.imageEmbeddingSize[1], training).expandDims(0);
        }
        NDArray source = peLayer.gaussianArray();
        long writes = StateDictLoader.weightWrites();
        NDArray cached;
        synchronized (this) {
            if (densePeSource != source || densePeWrites != writes || densePe == null) {
                NDManager owner = source.getManager();
                NDArray fresh = Ops.noGrad(() -> {
                    try (NDManager tmp = owner.newSubManager()) {
                        NDArray d = peLayer.dense(null, tmp, cfg.imageEmbeddingSize[0], cfg.imageEmbeddingSize[1], false)
                                .expandDims(0);
                        d.attach(owner);
                        return d;
                    }
                });
                if (densePe != null) {
                    densePe.close();
                }
                densePe = fresh;
                densePeSource = source;
                densePeWrites = writes;
            }
            cached = densePe;
        }
        return Ops.viewIn(cached, manager);
    }

    private NDArray densePe;
    private NDArray densePeSource;
    private long densePeWrites = -1;

    /**
     * Embeds prompts. Coordinates are in the model-input frame (after resize, before padding).
     *
     * @param points (B, N, 2) float (x, y), or null
     * @param labels (B, N) with 1 foreground, 0 background, −1 not-a-point (2, 3: box corners)
     * @param boxes (B, 4) x0, y0, x1, y1, or null
     * @param masks (B, 1, 4h, 4w) low-res logits, or null
     */
    public Embeddings embed(ParameterStore ps, NDManager manager, NDArray points, NDArray labels, NDArray boxes,
            NDArray masks, boolean training) {
        long bs = points != null ? points.getShape().get(0) : boxes != null ? boxes.getShape().get(0)
                : masks != null ? masks.getShape().get(0) : 1;
        NDArray anchor = points != null ? points : boxes != null ? boxes : masks;
        NDList sparse = new NDList();
        if (points != null) {
            if (labels == null || labels.getShape().dimension() != 2 || points.getShape().dimension() != 3
                    || points.getShape().get(2) != 2 || labels.getShape().get(1) != points.getShape().get(1)) {
                throw new MedsaException("points must be (B, N, 2) with labels (B, N), got "
                        + points.getShape() + " and " + (labels == null ? "none" : labels.getShape()));
            }
            sparse.add(embedPoints(ps, points, labels, boxes == null, training));
        }
        if (boxes != null) {
            if (boxes.getShape().dimension() != 2 || boxes.getShape().get(1) != 4) {
                throw new MedsaException("boxes must be (B, 4), got " + boxes.getShape());
            }
            sparse.add(embedBoxes(ps, boxes, training));
        }
        NDArray sparseEmb;
        if (sparse.isEmpty()) {
            sparseEmb = manager.zeros(new Shape(bs, 0, cfg.embedDim), DataType.FLOAT32);
        } else {
            sparseEmb = sparse.size() == 1 ? sparse.get(0) : NDArrays.concat(sparse, 1);
        }
        NDArray dense;
        int h = cfg.imageEmbeddingSize[0];
        int w = cfg.imageEmbeddingSize[1];
        if (masks != null) {
            int[] ms = maskInputSize();
            Shape s = masks.getShape();
            if (s.dimension() != 4 || s.get(1) != 1 || s.get(2) != ms[0] || s.get(3) != ms[1]) {
                throw new MedsaException("mask prompt must be (B, 1, " + ms[0] + ", " + ms[1] + ") low-res logits, got " + s);
            }
            dense = maskDownscaling.forward(ps, new NDList(masks), training, null).singletonOrThrow();
        } else {
            NDArray like = anchor != null ? anchor : manager.zeros(new Shape(1));
            dense = noMaskEmbed.table(ps, like, training).reshape(1, -1, 1, 1).broadcast(new Shape(bs, cfg.embedDim, h, w));
        }
        return new Embeddings(sparseEmb, dense);
    }

    private NDArray embedPoints(ParameterStore ps, NDArray points, NDArray labels, boolean pad, boolean training) {
        points = points.toType(DataType.FLOAT32, false).add(0.5f);
        labels = labels.toType(DataType.FLOAT32, false);
        if (pad) {
            long b = points.getShape().get(0);
            points = NDArrays.concat(new NDList(points, points.zerosLike().get(":, :1, :")), 1);
            labels = NDArrays.concat(new NDList(labels, labels.zerosLike().get(":, :1").sub(1)), 1);
            assert points.getShape().get(0) == b;
        }
        NDArray pe = peLayer.encodeCoords(ps, points, cfg.inputImageSize[0], cfg.inputImageSize[1], training);
        NDArray l = labels.expandDims(-1); // (B, N, 1)
        NDArray isPad = l.eq(LABEL_PAD).toType(DataType.FLOAT32, false);
        // point_embedding[labels == -1] = 0, then += not_a_point; other labels add their embedding
        NDArray out = pe.mul(isPad.neg().add(1)).add(isPad.mul(notAPointEmbed.table(ps, pe, training)));
        for (int k = 0; k < 4; k++) {
            NDArray is = l.eq(k).toType(DataType.FLOAT32, false);
            out = out.add(is.mul(pointEmbeddings.get(k).table(ps, pe, training)));
        }
        return out;
    }

    private NDArray embedBoxes(ParameterStore ps, NDArray boxes, boolean training) {
        NDArray corners = boxes.toType(DataType.FLOAT32, false).add(0.5f).reshape(-1, 2, 2);
        NDArray pe = peLayer.encodeCoords(ps, corners, cfg.inputImageSize[0], cfg.inputImageSize[1], training);
        NDArray tl = pe.get(":, 0:1, :").add(pointEmbeddings.get(2).table(ps, pe, training));
        NDArray br = pe.get(":, 1:2, :").add(pointEmbeddings.get(3).table(ps, pe, training));
        return NDArrays.concat(new NDList(tl, br), 1);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray points = inputs.contains("point_coords") ? inputs.get("point_coords") : null;
        NDArray labels = inputs.contains("point_labels") ? inputs.get("point_labels") : null;
        NDArray boxes = inputs.contains("boxes") ? inputs.get("boxes") : null;
        NDArray masks = inputs.contains("mask_inputs") ? inputs.get("mask_inputs") : null;
        Embeddings e = embed(ps, inputs.head().getManager(), points, labels, boxes, masks, training);
        return new NDList(e.sparse(), e.dense());
    }
}
