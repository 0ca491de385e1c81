package org.medsa.core.modeling.sam2;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.medsa.core.MedsaException;
import org.medsa.core.geometry.InputGeometry;
import org.medsa.core.geometry.InputProfile;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.modeling.MaskDecoder;
import org.medsa.core.modeling.PromptContext;
import org.medsa.core.modeling.PromptEncoder;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.TwoWayTransformer;
import org.medsa.core.nn.ActivationCheckpoints;
import org.medsa.core.nn.Conv2d;
import org.medsa.core.nn.Inits;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.MlpHead;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;

/**
 * SAM 2 ({@code SAM2Base}, docs/sam2.md): the Hiera image encoder, SAM's prompt encoder and mask
 * decoder with SAM 2's options, the memory encoder and the memory attention, and the learned
 * embeddings that tie them together. It computes one frame at a time ({@link #trackStep}); which
 * frames are remembered and how a session of prompts and propagation unfolds belongs to the
 * tracker in {@code medsa-inference} ({@code VolumeTracker}), as the official video predictor
 * owns it there.
 *
 * <p>Children and parameters have the official names, so {@code sam2.1_hiera_tiny.pt} and
 * MedSAM2's checkpoints load directly ({@link #load}).
 */
public class Sam2Model extends TorchBlock implements PromptableModel {

    /** The logit given to masks of frames where the object is predicted absent. */
    public static final float NO_OBJ_SCORE = -1024f;

    /**
     * The image features of one frame ({@code forward_image}): the decoder's stride-4 and stride-8
     * maps already projected by {@code conv_s0}/{@code conv_s1} (null without high-resolution
     * features) and the stride-16 map with its positional encoding.
     *
     * @param highRes {stride-4 (B, d/8, 4h, 4w), stride-8 (B, d/4, 2h, 2w)} or null
     * @param top (B, d, h, w) the stride-16 features
     * @param topPos (1, d, h, w) their sine positional encoding
     */
    public record ImageFeatures(NDArray[] highRes, NDArray top, NDArray topPos) {
        /** The same arrays as views owned by {@code manager} (see {@link Ops#viewIn}). */
        public ImageFeatures viewIn(NDManager manager) {
            NDArray[] hr = highRes == null ? null
                    : new NDArray[] {Ops.viewIn(highRes[0], manager), Ops.viewIn(highRes[1], manager)};
            return new ImageFeatures(hr, Ops.viewIn(top, manager), Ops.viewIn(topPos, manager));
        }
    }

    /**
     * What a frame leaves in memory for other frames: its memory features (B, mem_dim, h, w), their
     * positional encoding (1, mem_dim, h, w) and its object pointer (B, d).
     */
    public record FrameMemory(NDArray maskmemFeatures, NDArray maskmemPosEnc, NDArray objPtr) {}

    /**
     * The memories a frame may attend to: the conditioning frames (prompted) in the order they
     * were added, and the other tracked frames.
     */
    public record MemoryBank(Map<Integer, FrameMemory> condFrames, Map<Integer, FrameMemory> nonCondFrames, int numFrames) {}

    /**
     * The SAM heads' output ({@code _forward_sam_heads}).
     *
     * @param lowResMultimasks (B, M, 4h, 4w) logits, −1024 where the object is absent
     * @param highResMultimasks (B, M, S, S) the same, bilinearly enlarged
     * @param ious (B, M) predicted IoUs
     * @param iou (B, 1) the chosen mask's predicted IoU
     * @param lowResMasks (B, 1, 4h, 4w) the chosen mask (highest IoU with multimask output)
     * @param highResMasks (B, 1, S, S) the chosen mask, enlarged
     * @param objPtr (B, d) the object pointer
     * @param objectScoreLogits (B, 1) object presence
     */
    public record HeadsOutput(NDArray lowResMultimasks, NDArray highResMultimasks, NDArray ious, NDArray iou, NDArray lowResMasks,
            NDArray highResMasks, NDArray objPtr, NDArray objectScoreLogits) {}

    /**
     * One frame's result ({@code track_step}).
     *
     * @param predMasks (B, 1, 4h, 4w) low-res mask logits
     * @param predMasksHighRes (B, 1, S, S) the same at the input size
     * @param objPtr (B, d) object pointer
     * @param objectScoreLogits (B, 1) object presence
     * @param iou (B, 1) the predicted IoU of the chosen mask (1 for a mask taken as the output)
     * @param maskmemFeatures (B, mem_dim, h, w) memory features in float32, or null when the memory
     *     encoder did not run
     * @param maskmemPosEnc (1, mem_dim, h, w) their encoding, or null
     */
    public record StepOutput(NDArray predMasks, NDArray predMasksHighRes, NDArray objPtr, NDArray objectScoreLogits,
            NDArray iou, NDArray maskmemFeatures, NDArray maskmemPosEnc) {}

    private final Sam2Config config;
    private final Parameter maskmemTposEnc;
    private final Parameter noMemEmbed;
    private final Parameter noMemPosEnc;
    private final Parameter noObjPtr;
    private final Parameter noObjEmbedSpatial;
    private final Sam2ImageEncoder imageEncoder;
    private final Conv2d maskDownsample;
    private final MemoryAttention memoryAttention;
    private final MemoryEncoder memoryEncoder;
    private final PromptEncoder promptEncoder;
    private final MaskDecoder maskDecoder;
    private final TorchBlock objPtrProj;
    private final Linear objPtrTposProj;

    /** SAM 2 for {@code config}; parameters get values from a checkpoint or from {@link #initialize}. */
    public Sam2Model(Sam2Config config) {
        this(config, Hiera.SAM2_BLOCKS, TwoWayTransformer.SAM2_BLOCKS);
    }

    /**
     * SAM 2 whose Hiera blocks and mask-decoder blocks the factories build (Med-SA's adapted model
     * replaces them; every other part, and every state-dict name of SAM 2, stays).
     */
    protected Sam2Model(Sam2Config config, Hiera.BlockFactory trunkBlocks, TwoWayTransformer.BlockFactory decoderBlocks) {
        this.config = config.validate();
        int d = config.hiddenDim();
        int mem = config.memDim();
        // the official init: trunc_normal_(std=0.02), which truncates at ±2 (100 standard deviations)
        this.maskmemTposEnc = param("maskmem_tpos_enc", new Shape(Math.max(config.numMaskmem, 1), 1, 1, mem),
                Inits.normal(0.02));
        this.noMemEmbed = param("no_mem_embed", new Shape(1, 1, d), Inits.normal(0.02));
        this.noMemPosEnc = param("no_mem_pos_enc", new Shape(1, 1, d), Inits.normal(0.02));
        this.noObjPtr = config.predObjScores && config.useObjPtrsInEncoder
                ? param("no_obj_ptr", new Shape(1, d), Inits.normal(0.02)) : null;
        this.noObjEmbedSpatial = config.noObjEmbedSpatial ? param("no_obj_embed_spatial", new Shape(1, mem), Inits.normal(0.02))
                : null;
        this.imageEncoder = child("image_encoder", new Sam2ImageEncoder(config, trunkBlocks));
        this.maskDownsample = config.useObjPtrsInEncoder ? child("mask_downsample", new Conv2d(1, 1, 4, 4, 0, true)) : null;
        this.memoryAttention = child("memory_attention", new MemoryAttention(config.memoryAttention));
        this.memoryEncoder = child("memory_encoder", new MemoryEncoder(config.memoryEncoder));
        this.promptEncoder = child("sam_prompt_encoder", new PromptEncoder(config.promptEncoderConfig()));
        this.maskDecoder = child("sam_mask_decoder", new MaskDecoder(config.maskDecoderConfig(),
                new TwoWayTransformer(config.maskDecoderConfig().transformer, decoderBlocks)));
        if (config.useObjPtrsInEncoder) {
            this.objPtrProj = child("obj_ptr_proj", config.useMlpForObjPtrProj ? new MlpHead(d, d, d, 3, false)
                    : new Linear(d, d));
        } else {
            this.objPtrProj = null;
        }
        this.objPtrTposProj = config.projTposEncInObjPtrs ? child("obj_ptr_tpos_proj", new Linear(d, mem)) : null;
    }

    /**
     * Builds SAM 2 for {@code config} and loads a checkpoint into it strictly: the official files
     * ({@code torch.save({"model": state_dict})}) or a bare state dict; a missing, unexpected or
     * misshaped tensor is refused by name before anything is loaded. The weights live in {@code
     * manager}.
     */
    public static Sam2Model load(Sam2Config config, Path checkpoint, NDManager manager) {
        Sam2Model m = new Sam2Model(config);
        StateDictLoader.load(m, checkpoint, manager, new StateDictLoader.Options());
        m.initialize(manager, DataType.FLOAT32);
        return m;
    }

    /** The model's configuration. */
    public Sam2Config config() {
        return config;
    }

    /** The image encoder ({@code image_encoder}). */
    public Sam2ImageEncoder imageEncoder() {
        return imageEncoder;
    }

    /** The prompt encoder ({@code sam_prompt_encoder}), SAM's. */
    public PromptEncoder promptEncoder() {
        return promptEncoder;
    }

    /** The mask decoder ({@code sam_mask_decoder}), SAM's with SAM 2's options. */
    public MaskDecoder maskDecoder() {
        return maskDecoder;
    }

    /** The memory attention. */
    public MemoryAttention memoryAttention() {
        return memoryAttention;
    }

    /**
     * The arithmetic of the Hiera trunk and the memory attention: FLOAT32 (the default, exact to
     * the official code) or BFLOAT16 ({@code --precision bf16}; LayerNorm statistics and softmax
     * accumulate in float32, the neck, the heads and the memory encoder stay float32).
     */
    public void computeType(DataType type) {
        imageEncoder.computeType(type);
        memoryAttention.computeType(type);
    }

    /** The memory encoder. */
    public MemoryEncoder memoryEncoder() {
        return memoryEncoder;
    }

    /** The device the weights live on. */
    @Override
    public Device device() {
        return stateDictParameters().values().iterator().next().getArray().getDevice();
    }

    /** Side of the square model input. */
    @Override
    public int imageSize() {
        return config.imageSize;
    }

    /** The official frame transform ({@link InputProfile#SAM2}) at this model's size. */
    @Override
    public InputGeometry geometry() {
        return InputGeometry.sam2(config.imageSize);
    }

    @Override
    public String describe() {
        return "SAM 2 " + config.source;
    }

    /** (h, w) of the low-res masks: 4× the stride-16 grid. */
    public int[] lowResSize() {
        return promptEncoder.maskInputSize();
    }

    /**
     * {@code forward_image}: (B, 3, S, S) normalised frames → their features, the decoder's
     * high-resolution maps projected once here as the official code does.
     */
    public ImageFeatures encodeImage(ParameterStore ps, NDArray images, boolean training) {
        return encodeImage(ps, images, training, null);
    }

    /**
     * As above; in training with {@code checkpoints} the Hiera blocks' activations are recomputed in
     * the backward instead of kept (call {@link ActivationCheckpoints#backward} after the loss's).
     */
    public ImageFeatures encodeImage(ParameterStore ps, NDArray images, boolean training, ActivationCheckpoints checkpoints) {
        List<NDArray> levels = imageEncoder.forward(ps, images, training, checkpoints);
        NDArray top = levels.get(levels.size() - 1);
        NDArray[] highRes = null;
        if (config.useHighResFeaturesInSam) {
            highRes = maskDecoder.projectHighRes(ps, levels.get(0), levels.get(1), training);
        }
        return new ImageFeatures(highRes, top, imageEncoder.positionalEncoding(top));
    }

    /**
     * {@code _forward_sam_heads}: the prompt encoder and mask decoder on (memory-conditioned)
     * stride-16 features.
     *
     * @param features (B, d, h, w)
     * @param pointCoords (B, P, 2) in the model input's pixels, or null (a padding point is used)
     * @param pointLabels (B, P): 1 positive, 0 negative, 2/3 box corners, −1 padding
     * @param maskInputs (B, 1, ·, ·) mask logits, resized (antialiased) to the mask-prompt size if
     *     needed, or null
     * @param highRes the projected high-resolution features, or null
     */
    public HeadsOutput forwardSamHeads(ParameterStore ps, NDArray features, NDArray pointCoords, NDArray pointLabels,
            NDArray maskInputs, NDArray[] highRes, boolean multimask, boolean training) {
        long b = features.getShape().get(0);
        NDManager m = features.getManager();
        if (pointCoords == null) {
            pointCoords = m.zeros(new Shape(b, 1, 2), DataType.FLOAT32, features.getDevice());
            pointLabels = m.full(new Shape(b, 1), -1, DataType.INT32, features.getDevice());
        }
        NDArray maskPrompt = null;
        if (maskInputs != null) {
            int[] ms = promptEncoder.maskInputSize();
            Shape s = maskInputs.getShape();
            maskPrompt = s.get(2) == ms[0] && s.get(3) == ms[1] ? maskInputs
                    : Ops.resizeAntialiased(maskInputs.toType(DataType.FLOAT32, false), ms[0], ms[1]);
        }
        PromptEncoder.Embeddings pe = promptEncoder.embed(ps, m, pointCoords, pointLabels, null, maskPrompt, training);
        NDArray densePe = promptEncoder.densePositionalEncoding(ps, m, training);
        if (!densePe.getDevice().equals(features.getDevice())) {
            densePe = densePe.toDevice(features.getDevice(), false);
        }
        // which sparse tokens are real prompts (the HyP adapter of Med-SA's decoder pools over them)
        PromptContext context = new PromptContext(pe.sparse(), Sam.validTokens(pe.sparse(), pointLabels, false));
        MaskDecoder.Output o = maskDecoder.forward(ps, features, densePe, pe.sparse(), pe.dense(), multimask, highRes, context,
                training);
        NDArray lowMulti = o.masks();
        NDArray isObj = null;
        if (config.predObjScores) {
            isObj = o.objectScoreLogits().gt(0); // (B, 1)
            long[] ms = lowMulti.getShape().getShape();
            lowMulti = NDArrays.where(isObj.reshape(b, 1, 1, 1).broadcast(new Shape(ms)), lowMulti,
                    Ops.scalar(lowMulti, NO_OBJ_SCORE));
        }
        NDArray highMulti = Ops.resizeBilinear(lowMulti, config.imageSize, config.imageSize);
        NDArray tokens = o.samTokens(); // (B, T, d)
        NDArray token = tokens.get(":, 0, :");
        NDArray low = lowMulti;
        NDArray high = highMulti;
        NDArray iou = o.iouPredictions();
        if (multimask) {
            NDArray best = o.iouPredictions().argMax(1).reshape(b, 1); // (B, 1)
            low = gatherChannel(lowMulti, best);
            high = gatherChannel(highMulti, best);
            iou = o.iouPredictions().gather(best, 1);
            if (tokens.getShape().get(1) > 1) {
                long d = tokens.getShape().get(2);
                token = tokens.gather(best.reshape(b, 1, 1).broadcast(new Shape(b, 1, d)), 1).reshape(b, d);
            }
        }
        NDArray objPtr = run(objPtrProj, ps, token, training);
        if (config.predObjScores) {
            NDArray lambda = config.softNoObjPtr ? Activation.sigmoid(o.objectScoreLogits())
                    : isObj.toType(DataType.FLOAT32, false);
            objPtr = mixNoObjPtr(ps, objPtr, lambda, training);
        }
        return new HeadsOutput(lowMulti, highMulti, o.iouPredictions(), iou, low, high, objPtr, o.objectScoreLogits());
    }

    /** Channel {@code index[b]} of each batch item of x (B, C, H, W) → (B, 1, H, W). */
    private static NDArray gatherChannel(NDArray x, NDArray index) {
        Shape s = x.getShape();
        return x.gather(index.reshape(s.get(0), 1, 1, 1).broadcast(new Shape(s.get(0), 1, s.get(2), s.get(3))), 1);
    }

    /** {@code fixed_no_obj_ptr}: λ·ptr, then + (1 − λ)·no_obj_ptr; λ (B, 1) is 1 where the object is present. */
    private NDArray mixNoObjPtr(ParameterStore ps, NDArray objPtr, NDArray lambda, boolean training) {
        if (config.fixedNoObjPtr) {
            objPtr = lambda.mul(objPtr);
        }
        return objPtr.add(lambda.neg().add(1).mul(value(ps, noObjPtr, objPtr, training)));
    }

    /**
     * {@code _use_mask_as_output}: a mask prompt (B, 1, S, S) in {0, 1} taken as the output, ±10
     * logits; the object pointer from the decoder given the mask (through {@code mask_downsample}).
     */
    public HeadsOutput useMaskAsOutput(ParameterStore ps, NDArray features, NDArray[] highRes, NDArray maskInputs,
            boolean training) {
        NDArray mask = maskInputs.toType(DataType.FLOAT32, false);
        long b = mask.getShape().get(0);
        NDArray high = Ops.mul(mask, 20.0).sub(Ops.scalar(mask, 10.0));
        int[] lowSize = promptEncoder.maskInputSize();
        NDArray low = Ops.resizeAntialiased(high, lowSize[0], lowSize[1]);
        NDArray ious = mask.getManager().ones(new Shape(b, 1), DataType.FLOAT32, mask.getDevice());
        NDArray objPtr;
        if (!config.useObjPtrsInEncoder) {
            objPtr = mask.getManager().zeros(new Shape(b, config.hiddenDim()), DataType.FLOAT32, mask.getDevice());
        } else {
            NDArray downsampled = maskDownsample.forward(ps, mask, training);
            objPtr = forwardSamHeads(ps, features, null, null, downsampled, highRes, false, training).objPtr();
        }
        NDArray lambda = mask.reshape(b, -1).gt(0).toType(DataType.FLOAT32, false).max(new int[] {1}, true);
        NDArray scores = Ops.mul(lambda, 20.0).sub(Ops.scalar(lambda, 10.0));
        if (config.predObjScores) {
            objPtr = mixNoObjPtr(ps, objPtr, lambda, training);
        }
        return new HeadsOutput(low, high, ious, ious, low, high, objPtr, scores);
    }

    /**
     * {@code _prepare_memory_conditioned_features}: the frame's stride-16 features (B, d, h, w)
     * after the memory attention over the bank's memories and object pointers — or, on an initial
     * conditioning frame, with the no-memory embedding.
     *
     * @param reverse tracking towards lower frame indices
     */
    public NDArray conditionOnMemory(ParameterStore ps, int frameIdx, boolean initialCondFrame, ImageFeatures features,
            MemoryBank bank, boolean reverse, boolean training) {
        NDArray top = features.top();
        long b = top.getShape().get(0);
        long d = top.getShape().get(1);
        long h = top.getShape().get(2);
        long w = top.getShape().get(3);
        if (config.numMaskmem == 0) {
            return top;
        }
        List<NDArray> memory = new ArrayList<>();
        List<NDArray> memoryPos = new ArrayList<>();
        int objPtrTokens = 0;
        int mem = config.memDim();
        if (!initialCondFrame) {
            if (bank.condFrames().isEmpty()) {
                throw new MedsaException("frame " + frameIdx + " has no conditioning frame to track from");
            }
            Map<Integer, FrameMemory> unselected = new LinkedHashMap<>();
            Map<Integer, FrameMemory> selected = selectClosestCondFrames(frameIdx, bank.condFrames(), unselected);
            List<int[]> order = new ArrayList<>(); // (t_pos, frame) in the official order
            List<FrameMemory> prevs = new ArrayList<>();
            for (FrameMemory f : selected.values()) {
                order.add(new int[] {0});
                prevs.add(f);
            }
            int stride = training ? 1 : config.videoPredictor.memoryTemporalStrideForEval;
            for (int tPos = 1; tPos < config.numMaskmem; tPos++) {
                int tRel = config.numMaskmem - tPos;
                int prev;
                if (tRel == 1) {
                    prev = reverse ? frameIdx + tRel : frameIdx - tRel;
                } else if (!reverse) {
                    prev = Math.floorDiv(frameIdx - 2, stride) * stride - (tRel - 2) * stride;
                } else {
                    prev = -Math.floorDiv(-(frameIdx + 2), stride) * stride + (tRel - 2) * stride;
                }
                FrameMemory out = bank.nonCondFrames().get(prev);
                if (out == null) {
                    out = unselected.get(prev);
                }
                order.add(new int[] {tPos});
                prevs.add(out);
            }
            NDArray tposTable = value(ps, maskmemTposEnc, top, training); // (num_maskmem, 1, 1, mem)
            for (int i = 0; i < order.size(); i++) {
                FrameMemory prev = prevs.get(i);
                if (prev == null) {
                    continue;
                }
                int tPos = order.get(i)[0];
                memory.add(tokens(prev.maskmemFeatures()));
                NDArray pos = tokens(prev.maskmemPosEnc());
                if (pos.getShape().get(0) != b) {
                    pos = pos.broadcast(new Shape(b, pos.getShape().get(1), mem));
                }
                pos = pos.add(tposTable.get(config.numMaskmem - tPos - 1).reshape(1, 1, mem));
                memoryPos.add(pos);
            }
            if (config.useObjPtrsInEncoder) {
                int maxPtrs = Math.min(bank.numFrames(), config.videoPredictor.maxObjPtrsInEncoder);
                List<Integer> positions = new ArrayList<>();
                List<NDArray> ptrs = new ArrayList<>();
                int sign = reverse ? -1 : 1;
                for (Map.Entry<Integer, FrameMemory> e : selected.entrySet()) {
                    int t = e.getKey();
                    boolean past = reverse ? t >= frameIdx : t <= frameIdx;
                    if (!training && config.onlyObjPtrsInThePastForEval && !past) {
                        continue;
                    }
                    positions.add(config.useSignedTposEncToObjPtrs ? (frameIdx - t) * sign : Math.abs(frameIdx - t));
                    ptrs.add(e.getValue().objPtr());
                }
                for (int tDiff = 1; tDiff < maxPtrs; tDiff++) {
                    int t = reverse ? frameIdx + tDiff : frameIdx - tDiff;
                    if (t < 0 || t >= bank.numFrames()) {
                        break;
                    }
                    FrameMemory out = bank.nonCondFrames().get(t);
                    if (out == null) {
                        out = unselected.get(t);
                    }
                    if (out != null) {
                        positions.add(tDiff);
                        ptrs.add(out.objPtr());
                    }
                }
                if (!ptrs.isEmpty()) {
                    NDArray objPtrs = NDArrays.stack(new NDList(ptrs), 1); // (B, P, d)
                    long p = objPtrs.getShape().get(1);
                    NDArray objPos;
                    if (config.addTposEncToObjPtrs) {
                        int tDiffMax = maxPtrs - 1;
                        int tposDim = config.projTposEncInObjPtrs ? (int) d : mem;
                        float[] rel = new float[positions.size()];
                        for (int i = 0; i < rel.length; i++) {
                            // the official code divides by zero for a one-frame volume; a lone pointer sits at 0
                            rel[i] = tDiffMax == 0 ? 0f : (float) positions.get(i) / (float) tDiffMax;
                        }
                        NDArray rp = Ops.array(top.getManager(), rel, new Shape(rel.length)).toDevice(top.getDevice(), false);
                        objPos = sinePe1d(rp, tposDim);
                        if (objPtrTposProj != null) {
                            objPos = objPtrTposProj.forward(ps, objPos, training);
                        }
                        objPos = objPos.expandDims(0).broadcast(new Shape(b, p, mem));
                    } else {
                        objPos = top.getManager().zeros(new Shape(b, p, mem), DataType.FLOAT32, top.getDevice());
                    }
                    if (mem < d) {
                        // a pointer of d channels becomes d / mem_dim memory tokens
                        long split = d / mem;
                        objPtrs = objPtrs.reshape(b, p * split, mem);
                        objPos = objPos.repeat(1, split);
                    }
                    memory.add(objPtrs);
                    memoryPos.add(objPos);
                    objPtrTokens = (int) objPtrs.getShape().get(1);
                }
            }
        } else {
            NDArray noMem = value(ps, noMemEmbed, top, training); // (1, 1, d)
            if (config.directlyAddNoMemEmbed) {
                return top.add(noMem.reshape(1, d, 1, 1));
            }
            memory.add(noMem.broadcast(new Shape(b, 1, mem)));
            memoryPos.add(value(ps, noMemPosEnc, top, training).broadcast(new Shape(b, 1, mem)));
        }
        NDArray mem0 = memory.size() == 1 ? memory.get(0) : NDArrays.concat(new NDList(memory), 1);
        NDArray pos0 = memoryPos.size() == 1 ? memoryPos.get(0) : NDArrays.concat(new NDList(memoryPos), 1);
        NDArray curr = tokens(top);
        NDArray currPos = tokens(features.topPos());
        if (currPos.getShape().get(0) != b) {
            currPos = currPos.broadcast(new Shape(b, currPos.getShape().get(1), d));
        }
        NDArray out = memoryAttention.forward(ps, curr, currPos, mem0, pos0, objPtrTokens, training); // (B, hw, d)
        return out.transpose(0, 2, 1).reshape(b, d, h, w);
    }

    /** (B, C, h, w) → (B, hw, C) tokens. */
    private static NDArray tokens(NDArray map) {
        Shape s = map.getShape();
        return map.reshape(s.get(0), s.get(1), -1).transpose(0, 2, 1);
    }

    /** {@code get_1d_sine_pe}: positions (P) → (P, dim), sin of all frequencies then cos. */
    private static NDArray sinePe1d(NDArray positions, int dim) {
        int half = dim / 2;
        NDManager m = positions.getManager();
        NDArray i = m.arange(0f, (float) half).toDevice(positions.getDevice(), false);
        NDArray exponent = Ops.div(Ops.mul(i.div(2).floor(), 2), half);
        NDArray dimT = Ops.scalar(exponent, 10000).pow(exponent);
        NDArray pe = positions.reshape(-1, 1).div(dimT.reshape(1, -1));
        return NDArrays.concat(new NDList(pe.sin(), pe.cos()), -1);
    }

    /**
     * {@code select_closest_cond_frames}: all conditioning frames when there are no more than
     * {@code max_cond_frames_in_attn} (or no limit), else the closest before, the closest at or
     * after, and the temporally closest others; the rest go to {@code unselected}.
     */
    private Map<Integer, FrameMemory> selectClosestCondFrames(int frameIdx, Map<Integer, FrameMemory> cond,
            Map<Integer, FrameMemory> unselected) {
        int max = config.videoPredictor.maxCondFramesInAttn;
        if (max == -1 || cond.size() <= max) {
            return cond;
        }
        Map<Integer, FrameMemory> selected = new LinkedHashMap<>();
        Integer before = null;
        Integer after = null;
        for (int t : cond.keySet()) {
            if (t < frameIdx && (before == null || t > before)) {
                before = t;
            }
            if (t >= frameIdx && (after == null || t < after)) {
                after = t;
            }
        }
        if (before != null) {
            selected.put(before, cond.get(before));
        }
        if (after != null) {
            selected.put(after, cond.get(after));
        }
        List<Integer> rest = new ArrayList<>();
        for (int t : cond.keySet()) {
            if (!selected.containsKey(t)) {
                rest.add(t);
            }
        }
        rest.sort((x, y) -> Integer.compare(Math.abs(x - frameIdx), Math.abs(y - frameIdx)));
        for (int t : rest.subList(0, Math.max(0, Math.min(rest.size(), max - selected.size())))) {
            selected.put(t, cond.get(t));
        }
        for (Map.Entry<Integer, FrameMemory> e : cond.entrySet()) {
            if (!selected.containsKey(e.getKey())) {
                unselected.put(e.getKey(), e.getValue());
            }
        }
        return selected;
    }

    /**
     * {@code _encode_new_memory}: the memory features (B, mem_dim, h, w) of a frame from its
     * stride-16 features and its high-res mask logits (B, 1, S, S); masks from clicks are
     * binarised (the official predictor's setting), others go through a sigmoid; then the scale
     * and bias, the memory encoder, and the no-object embedding where the object is absent.
     * Returns {features, positional encoding}, float32.
     */
    public NDArray[] encodeNewMemory(ParameterStore ps, ImageFeatures features, NDArray highResMasks,
            NDArray objectScoreLogits, boolean maskFromPoints, boolean training) {
        NDArray masks = highResMasks;
        if (config.nonOverlapMasksForMemEnc && !training) {
            masks = nonOverlapping(masks);
        }
        NDArray forMem = config.binarizeMaskFromPtsForMemEnc && maskFromPoints && !training
                ? masks.gt(0).toType(DataType.FLOAT32, false) : Activation.sigmoid(masks);
        if (config.sigmoidScaleForMemEnc != 1.0) {
            forMem = Ops.mul(forMem, config.sigmoidScaleForMemEnc);
        }
        if (config.sigmoidBiasForMemEnc != 0.0) {
            forMem = forMem.add(Ops.scalar(forMem, config.sigmoidBiasForMemEnc));
        }
        NDArray feats = memoryEncoder.forward(ps, features.top(), forMem, training);
        if (noObjEmbedSpatial != null) {
            long b = feats.getShape().get(0);
            NDArray absent = objectScoreLogits.gt(0).toType(DataType.FLOAT32, false).neg().add(1).reshape(b, 1, 1, 1);
            NDArray embed = value(ps, noObjEmbedSpatial, feats, training).reshape(1, -1, 1, 1);
            feats = feats.add(absent.mul(embed.broadcast(feats.getShape())));
        }
        return new NDArray[] {feats, memoryEncoder.positionalEncoding(feats)};
    }

    /** Keeps, at each pixel, only the highest-scoring object's logit; the others are clamped to at most −10. */
    private static NDArray nonOverlapping(NDArray masks) {
        long b = masks.getShape().get(0);
        if (b == 1) {
            return masks;
        }
        NDArray best = masks.argMax(0).expandDims(0); // (1, 1, H, W)
        NDArray idx = masks.getManager().arange(0, (int) b).toDevice(masks.getDevice(), false).reshape(b, 1, 1, 1)
                .toType(best.getDataType(), false);
        NDArray keep = best.eq(idx);
        return NDArrays.where(keep, masks, Ops.minimum(masks, -10.0));
    }

    /** Whether the SAM heads give three masks ({@code _use_multimask}) for this many prompt points. */
    public boolean useMultimask(boolean initialCondFrame, int numPoints) {
        return config.multimaskOutputInSam && (initialCondFrame || config.multimaskOutputForTracking)
                && numPoints >= config.multimaskMinPtNum && numPoints <= config.multimaskMaxPtNum;
    }

    /**
     * {@code track_step}: one frame, from its features, its prompts (points, or a mask prompt in
     * {0, 1} at the input size, or neither) and the memory bank.
     *
     * @param pointCoords (1, P, 2) in the model input's pixels, or null
     * @param pointLabels (1, P) int32, or null
     * @param maskInputs (1, 1, S, S), or null
     * @param runMemoryEncoder whether to encode the result into memory features now
     * @param prevMaskLogits (1, 1, 4h, 4w) the frame's previous low-res logits fed with new clicks
     *     (corrections), or null
     */
    public StepOutput trackStep(ParameterStore ps, int frameIdx, boolean initialCondFrame, ImageFeatures features,
            NDArray pointCoords, NDArray pointLabels, NDArray maskInputs, MemoryBank bank, boolean reverse,
            boolean runMemoryEncoder, NDArray prevMaskLogits, boolean training) {
        HeadsOutput heads;
        if (maskInputs != null && config.useMaskInputAsOutputWithoutSam) {
            heads = useMaskAsOutput(ps, features.top(), features.highRes(), maskInputs, training);
        } else {
            NDArray pix = conditionOnMemory(ps, frameIdx, initialCondFrame, features, bank, reverse, training);
            NDArray masks = maskInputs;
            if (prevMaskLogits != null) {
                if (pointCoords == null || maskInputs != null) {
                    throw new MedsaException("previous mask logits go with new clicks only");
                }
                masks = prevMaskLogits;
            }
            int points = pointLabels == null ? 0 : (int) pointLabels.getShape().get(1);
            boolean multimask = useMultimask(initialCondFrame, points);
            heads = forwardSamHeads(ps, pix, pointCoords, pointLabels, masks, features.highRes(), multimask, training);
        }
        NDArray feats = null;
        NDArray pos = null;
        if (runMemoryEncoder && config.numMaskmem > 0) {
            NDArray[] enc = encodeNewMemory(ps, features, heads.highResMasks(), heads.objectScoreLogits(), pointCoords != null,
                    training);
            feats = enc[0];
            pos = enc[1];
        }
        return new StepOutput(heads.lowResMasks(), heads.highResMasks(), heads.objPtr(), heads.objectScoreLogits(), heads.iou(),
                feats, pos);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        ImageFeatures f = encodeImage(ps, inputs.singletonOrThrow(), training);
        NDList out = new NDList();
        if (f.highRes() != null) {
            out.add(f.highRes()[0]);
            out.add(f.highRes()[1]);
        }
        out.add(f.top());
        return out;
    }
}
