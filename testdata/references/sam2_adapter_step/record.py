"""Records one training step of SAM 2 with Med-SA's adapters, computed by the official SAM 2 classes
(facebookresearch/sam2) with the adapters inserted the way this library inserts them, on the
sam2_tiny fixture: the loss of a 3-slice clip and the gradient of every adapter parameter.

    SAM2_CODE=/path/to/sam2-checkout python3 record.py <fixture dir> > step.json

The model is the fixture's (config.json, checkpoint.pt), built from the official classes and run in
eval mode (no dropout) with gradients. The adapters are small PyTorch modules written here from
docs/model.md, attached to the official modules by wrapping, never by editing their code:
- every Hiera MultiScaleBlock: attn -> Space_Adapter(attn(x)) (x + up(gelu(down(.)))),
  mlp(x) -> mlp(x) + 0.5 * MLP_Adapter(x) (up(gelu(down(x))));
- every two-way block of the mask decoder: the token->image attention output a -> HyP_Adapter(a),
  mlp(x) -> mlp(x) + 0.5 * MLP_Adapter(x), norm4(k) -> I2T_Adapter(norm4(k)) (with skip).
Adapter widths are the 'paper' preset's (64; HyP: 1 generated layer, scale 1). Every adapter tensor
holds base + 0.05 * sin(0.7 * i + 0.13 * h) (i: flat index, h: sum of the name's characters mod 97,
base 1 for LayerNorm weights, else 0), so the step has non-zero gradients everywhere.

The clip: fixture frames 0-2 (images.npy); the target a disk of radius 20 around (x, y) = (64, 60)
on frames 0 and 1 and nothing on frame 2 (the object score trains there); one positive click at
(64, 60) on frame 0. Frame 0 is a conditioning frame, frames 1-2 are tracked with memory (track_step's
steps: _track_step, then _encode_memory_in_output). The loss per frame is SAM 2.1's (20 focal + dice of
the best mask, L1 IoU, object-score BCE; Dice smoothing 1), averaged over the frames.
"""
import json, math, os, sys
sys.path.insert(0, os.environ.get('SAM2_CODE', '.'))
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)


def sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):  # torch 1.13 has no SDPA
    s = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
    return s.softmax(-1) @ v


F.scaled_dot_product_attention = sdpa

from sam2.modeling.backbones.hieradet import Hiera
from sam2.modeling.backbones.image_encoder import ImageEncoder, FpnNeck
from sam2.modeling.position_encoding import PositionEmbeddingSine
from sam2.modeling.memory_attention import MemoryAttention, MemoryAttentionLayer
from sam2.modeling.memory_encoder import MemoryEncoder, MaskDownSampler, Fuser, CXBlock
from sam2.modeling.sam.transformer import RoPEAttention
from sam2.modeling.sam2_base import SAM2Base

WIDTH, MLP_SCALE, DEC_WIDTH, HYP_LAYERS, HYP_SCALE, DEC_MLP_SCALE = 64, 0.5, 64, 1, 1.0, 0.5


def pe(c):
    return PositionEmbeddingSine(num_pos_feats=c['num_pos_feats'], normalize=c['normalize'], scale=c['scale'],
                                 temperature=c['temperature'])


def build(cfg):
    t = cfg['trunk']
    trunk = Hiera(embed_dim=t['embed_dim'], num_heads=t['num_heads'], stages=t['stages'],
                  global_att_blocks=t['global_att_blocks'], window_spec=t['window_spec'],
                  window_pos_embed_bkg_spatial_size=t['window_pos_embed_bkg_spatial_size'], q_pool=t.get('q_pool', 3),
                  q_stride=tuple(t.get('q_stride', [2, 2])), dim_mul=t.get('dim_mul', 2.0), head_mul=t.get('head_mul', 2.0))
    n = cfg['neck']
    neck = FpnNeck(position_encoding=pe(n['position_encoding']), d_model=n['d_model'],
                   backbone_channel_list=n['backbone_channel_list'], fpn_top_down_levels=n['fpn_top_down_levels'],
                   fpn_interp_model=n['fpn_interp_model'])
    enc = ImageEncoder(trunk=trunk, neck=neck, scalp=n['scalp'])
    ma = cfg['memory_attention']
    sa, ca = ma['self_attention'], ma['cross_attention']
    layer = MemoryAttentionLayer(
        activation=ma['activation'], d_model=ma['d_model'], dim_feedforward=ma['dim_feedforward'], dropout=ma['dropout'],
        pos_enc_at_attn=ma['pos_enc_at_attn'], pos_enc_at_cross_attn_keys=ma['pos_enc_at_cross_attn_keys'],
        pos_enc_at_cross_attn_queries=ma['pos_enc_at_cross_attn_queries'],
        cross_attention=RoPEAttention(rope_theta=ca['rope_theta'], feat_sizes=ca['feat_sizes'], rope_k_repeat=ca['rope_k_repeat'],
                                      embedding_dim=ma['d_model'], num_heads=ca['num_heads'],
                                      downsample_rate=ca['downsample_rate'], dropout=ma['dropout'], kv_in_dim=ca['kv_in_dim']),
        self_attention=RoPEAttention(rope_theta=sa['rope_theta'], feat_sizes=sa['feat_sizes'], embedding_dim=ma['d_model'],
                                     num_heads=sa['num_heads'], downsample_rate=sa['downsample_rate'], dropout=ma['dropout']))
    mattn = MemoryAttention(d_model=ma['d_model'], pos_enc_at_input=ma['pos_enc_at_input'], layer=layer,
                            num_layers=ma['num_layers'])
    me = cfg['memory_encoder']
    md, cx = me['mask_downsampler'], me['fuser']['cx_block']
    menc = MemoryEncoder(
        out_dim=me['out_dim'], in_dim=me['in_dim'],
        mask_downsampler=MaskDownSampler(embed_dim=md.get('embed_dim', me['in_dim']), kernel_size=md['kernel_size'],
                                         stride=md['stride'], padding=md['padding'], total_stride=md.get('total_stride', 16)),
        fuser=Fuser(CXBlock(dim=cx['dim'], kernel_size=cx['kernel_size'], padding=cx['padding'],
                            layer_scale_init_value=cx['layer_scale_init_value'], use_dwconv=cx['use_dwconv']),
                    num_layers=me['fuser']['num_layers']),
        position_encoding=pe(me['position_encoding']))
    keys = ['num_maskmem', 'image_size', 'backbone_stride', 'sigmoid_scale_for_mem_enc', 'sigmoid_bias_for_mem_enc',
            'binarize_mask_from_pts_for_mem_enc', 'use_mask_input_as_output_without_sam', 'directly_add_no_mem_embed',
            'use_high_res_features_in_sam', 'multimask_output_in_sam', 'multimask_min_pt_num', 'multimask_max_pt_num',
            'multimask_output_for_tracking', 'use_multimask_token_for_obj_ptr', 'iou_prediction_use_sigmoid',
            'use_obj_ptrs_in_encoder', 'add_tpos_enc_to_obj_ptrs', 'proj_tpos_enc_in_obj_ptrs',
            'use_signed_tpos_enc_to_obj_ptrs', 'only_obj_ptrs_in_the_past_for_eval', 'pred_obj_scores', 'pred_obj_scores_mlp',
            'fixed_no_obj_ptr', 'use_mlp_for_obj_ptr_proj', 'no_obj_embed_spatial']
    vp = cfg.get('video_predictor', {})
    return SAM2Base(image_encoder=enc, memory_attention=mattn, memory_encoder=menc,
                    sam_mask_decoder_extra_args=cfg.get('sam_mask_decoder_extra_args'),
                    max_cond_frames_in_attn=vp.get('max_cond_frames_in_attn', -1),
                    memory_temporal_stride_for_eval=vp.get('memory_temporal_stride_for_eval', 1),
                    max_obj_ptrs_in_encoder=vp.get('max_obj_ptrs_in_encoder', 16),
                    **{k: cfg[k] for k in keys if k in cfg})


class Adapter(nn.Module):
    def __init__(self, dim, width, skip):
        super().__init__()
        self.D_fc1, self.D_fc2, self.skip = nn.Linear(dim, width), nn.Linear(width, dim), skip

    def forward(self, x):
        y = self.D_fc2(F.gelu(self.D_fc1(x)))
        return x + y if self.skip else y


PROMPT = {}  # the sparse prompt tokens and their validity of the decoder call being run


class HyP(nn.Module):
    def __init__(self, dim, width, layers, scale):
        super().__init__()
        self.D_fc1, self.D_fc2 = nn.Linear(dim, width), nn.Linear(width, dim)
        self.hyper_fc1, self.hyper_fc2 = nn.Linear(dim, dim), nn.Linear(dim, layers * width * width)
        self.norms = nn.ModuleList([nn.LayerNorm(width, eps=1e-5) for _ in range(layers)])
        self.width, self.layers, self.scale = width, layers, scale

    def forward(self, x):
        sparse, valid = PROMPT['sparse'], PROMPT['valid'].unsqueeze(-1)
        e_prompt = (sparse * valid).sum(1) / valid.sum(1).clamp(min=1)
        w = self.hyper_fc2(F.relu(self.hyper_fc1(e_prompt))).reshape(-1, self.layers, self.width, self.width)
        e = self.D_fc1(x)
        for k in range(self.layers):
            e = F.relu(self.norms[k](e @ w[:, k]))
        return x + self.scale * self.D_fc2(e)


class Then(nn.Module):  # f, then g on its output
    def __init__(self, f, g):
        super().__init__()
        self.f, self.g = f, g

    def forward(self, *a, **k):
        return self.g(self.f(*a, **k))


class Plus(nn.Module):  # f(x) + s * g(x)
    def __init__(self, f, g, s):
        super().__init__()
        self.f, self.g, self.s = f, g, s

    def forward(self, x):
        return self.f(x) + self.s * self.g(x)


def insert_adapters(m):
    for blk in m.image_encoder.trunk.blocks:
        d = blk.dim_out
        blk.add_module('MLP_Adapter', Adapter(d, WIDTH, False))
        blk.add_module('Space_Adapter', Adapter(d, WIDTH, True))
        blk.attn = Then(blk.attn, blk.Space_Adapter)
        blk.mlp = Plus(blk.mlp, blk.MLP_Adapter, MLP_SCALE)
    for blk in m.sam_mask_decoder.transformer.layers:
        c = blk.norm1.normalized_shape[0]
        blk.add_module('HyP_Adapter', HyP(c, DEC_WIDTH, HYP_LAYERS, HYP_SCALE))
        blk.add_module('MLP_Adapter', Adapter(c, DEC_WIDTH, False))
        blk.add_module('I2T_Adapter', Adapter(c, DEC_WIDTH, True))
        blk.cross_attn_token_to_image = Then(blk.cross_attn_token_to_image, blk.HyP_Adapter)
        blk.mlp = Plus(blk.mlp, blk.MLP_Adapter, DEC_MLP_SCALE)
        blk.norm4 = Then(blk.norm4, blk.I2T_Adapter)
    pe_forward = m.sam_prompt_encoder.forward

    def prompt_encoder(points, boxes, masks):
        sparse, dense = pe_forward(points, boxes, masks)
        labels = points[1]
        valid = torch.cat([(labels != -1).float(), torch.zeros(labels.shape[0], 1)], 1) if boxes is None else None
        PROMPT['sparse'], PROMPT['valid'] = sparse, valid
        return sparse, dense
    m.sam_prompt_encoder.forward = prompt_encoder


def adapter_values(model):
    """The adapter tensors by the library's state-dict names (wrappers' own names removed)."""
    out = {}
    for name, mod in model.named_modules(remove_duplicate=False):
        if 'Adapter' in name.rsplit('.', 1)[-1] and '.f.' not in name and '.g.' not in name:
            for pn, p in mod.named_parameters(prefix=name):
                out[pn] = p
    return out


def fill(name, p):
    h = sum(ord(ch) for ch in name) % 97
    base = 1.0 if ('.norms.' in name and name.endswith('.weight')) else 0.0
    i = np.arange(p.numel(), dtype=np.float64)
    v = (base + 0.05 * np.sin(0.7 * i + 0.13 * h)).astype(np.float32).reshape(tuple(p.shape))
    with torch.no_grad():
        p.copy_(torch.from_numpy(v))


def sam2_loss(hm, ious, obj, t):
    n = hm.shape[0]
    tm = t.expand_as(hm)
    p = hm.sigmoid()
    ce = F.binary_cross_entropy_with_logits(hm, tm, reduction='none')
    pt = p * tm + (1 - p) * (1 - tm)
    focal = ((0.25 * tm + 0.75 * (1 - tm)) * ce * (1 - pt) ** 2).flatten(2).mean(-1)
    pi, ti = p.flatten(2), tm.flatten(2)
    dice = 1 - (2 * (pi * ti).sum(-1) + 1) / (pi.sum(-1) + ti.sum(-1) + 1)
    pm, gm = hm.flatten(2) > 0, ti > 0
    actual = (pm & gm).sum(-1).float() / torch.clamp((pm | gm).sum(-1).float(), min=1.0)
    iou = (ious - actual).abs().mean(-1)
    present = (t.flatten(1).max(1).values > 0).float()
    cls = F.binary_cross_entropy_with_logits(obj.reshape(n), present, reduction='none')
    per = 20 * focal + dice
    best = per.min(1).values
    return ((best + iou) * present + cls).sum() / n


def main():
    fx = sys.argv[1]
    cfg = json.load(open(fx + '/config.json'))
    m = build(cfg)
    sd = torch.load(fx + '/checkpoint.pt', map_location='cpu')
    missing, unexpected = m.load_state_dict(sd.get('model', sd))
    assert not missing and not unexpected
    insert_adapters(m)
    m.eval()
    for p in m.parameters():
        p.requires_grad_(False)
    ad = adapter_values(m)
    for name, p in ad.items():
        fill(name, p)
        p.requires_grad_(True)
    S = cfg['image_size']
    images = torch.from_numpy(np.load(fx + '/images.npy'))[:3]
    yy, xx = np.mgrid[0:S, 0:S]
    disk = (((xx - 64) ** 2 + (yy - 60) ** 2) <= 400).astype(np.float32)
    targets = [torch.from_numpy(disk).reshape(1, 1, S, S), torch.from_numpy(disk).reshape(1, 1, S, S), torch.zeros(1, 1, S, S)]
    backbone = m.forward_image(images)
    _, feats, pos, sizes = m._prepare_backbone_features(backbone)
    out = {'cond_frame_outputs': {}, 'non_cond_frame_outputs': {}}
    points = {'point_coords': torch.tensor([[[64.0, 60.0]]]), 'point_labels': torch.tensor([[1]], dtype=torch.int32)}
    losses = []
    for t in range(3):
        f = [x[:, t:t + 1] for x in feats]
        p = [x[:, t:t + 1] for x in pos]
        current, sam, _, _ = m._track_step(t, t == 0, f, p, sizes, points if t == 0 else None, None, out, 3, False, None)
        _, hm, ious, low, high, ptr, obj = sam
        current['pred_masks'], current['pred_masks_high_res'], current['obj_ptr'] = low, high, ptr
        current['object_score_logits'] = obj
        m._encode_memory_in_output(f, sizes, points if t == 0 else None, True, high, obj, current)
        out['cond_frame_outputs' if t == 0 else 'non_cond_frame_outputs'][t] = current
        losses.append(sam2_loss(hm, ious, obj, targets[t]))
    loss = sum(losses) / 3
    loss.backward()
    grads = {}
    for name, p in ad.items():
        g = p.grad.double().flatten()
        w = torch.sin(0.01 * torch.arange(g.numel(), dtype=torch.float64))
        grads[name] = dict(n=g.numel(), sum=float(g.sum()), sumsq=float((g * g).sum()), weighted=float((g * w).sum()),
                           maxabs=float(g.abs().max()))
    print(json.dumps(dict(loss=float(loss), frame_losses=[float(x) for x in losses], grads=grads), indent=1, sort_keys=True))


main()
