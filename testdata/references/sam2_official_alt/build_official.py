"""Builds the official SAM 2 video predictor from a config.json in the sam2_tiny layout (my cross-check harness)."""
import json, math, os, sys
sys.path.insert(0, os.environ.get('SAM2_CODE', '.'))  # a checkout of facebookresearch/sam2 (with stub iopath, tqdm)
import torch
import torch.nn.functional as F

def sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None):
    s = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
    return s.softmax(-1) @ v
F.scaled_dot_product_attention = sdpa

from sam2.modeling.backbones.hieradet import Hiera
from sam2.modeling.backbones.image_encoder import ImageEncoder, FpnNeck
from sam2.modeling.position_encoding import PositionEmbeddingSine
from sam2.modeling.memory_attention import MemoryAttention, MemoryAttentionLayer
from sam2.modeling.memory_encoder import MemoryEncoder, MaskDownSampler, Fuser, CXBlock
from sam2.modeling.sam.transformer import RoPEAttention
from sam2.sam2_video_predictor import SAM2VideoPredictor

def pe(c):
    return PositionEmbeddingSine(num_pos_feats=c['num_pos_feats'], normalize=c['normalize'], scale=c['scale'],
                                 temperature=c['temperature'])

def build(cfg):
    t = cfg['trunk']
    trunk = Hiera(embed_dim=t['embed_dim'], num_heads=t['num_heads'], stages=t['stages'], global_att_blocks=t['global_att_blocks'],
                  window_spec=t['window_spec'], window_pos_embed_bkg_spatial_size=t['window_pos_embed_bkg_spatial_size'],
                  q_pool=t.get('q_pool', 3), q_stride=tuple(t.get('q_stride', [2, 2])), dim_mul=t.get('dim_mul', 2.0),
                  head_mul=t.get('head_mul', 2.0), drop_path_rate=t.get('drop_path_rate', 0.0))
    n = cfg['neck']
    neck = FpnNeck(position_encoding=pe(n['position_encoding']), d_model=n['d_model'], backbone_channel_list=n['backbone_channel_list'],
                   fpn_top_down_levels=n['fpn_top_down_levels'], fpn_interp_model=n['fpn_interp_model'])
    enc = ImageEncoder(trunk=trunk, neck=neck, scalp=n['scalp'])
    ma = cfg['memory_attention']
    sa = ma['self_attention']; ca = ma['cross_attention']
    layer = MemoryAttentionLayer(activation=ma['activation'],
        cross_attention=RoPEAttention(rope_theta=ca['rope_theta'], feat_sizes=ca['feat_sizes'], rope_k_repeat=ca['rope_k_repeat'],
                                      embedding_dim=ma['d_model'], num_heads=ca['num_heads'], downsample_rate=ca['downsample_rate'],
                                      dropout=ma['dropout'], kv_in_dim=ca['kv_in_dim']),
        d_model=ma['d_model'], dim_feedforward=ma['dim_feedforward'], dropout=ma['dropout'], pos_enc_at_attn=ma['pos_enc_at_attn'],
        pos_enc_at_cross_attn_keys=ma['pos_enc_at_cross_attn_keys'], pos_enc_at_cross_attn_queries=ma['pos_enc_at_cross_attn_queries'],
        self_attention=RoPEAttention(rope_theta=sa['rope_theta'], feat_sizes=sa['feat_sizes'], embedding_dim=ma['d_model'],
                                     num_heads=sa['num_heads'], downsample_rate=sa['downsample_rate'], dropout=ma['dropout']))
    mattn = MemoryAttention(d_model=ma['d_model'], pos_enc_at_input=ma['pos_enc_at_input'], layer=layer, num_layers=ma['num_layers'])
    me = cfg['memory_encoder']
    md = me['mask_downsampler']; cx = me['fuser']['cx_block']
    menc = MemoryEncoder(out_dim=me['out_dim'], in_dim=me['in_dim'],
        mask_downsampler=MaskDownSampler(embed_dim=md.get('embed_dim', me['in_dim']), kernel_size=md['kernel_size'], stride=md['stride'],
                                         padding=md['padding'], total_stride=md.get('total_stride', 16)),
        fuser=Fuser(CXBlock(dim=cx['dim'], kernel_size=cx['kernel_size'], padding=cx['padding'],
                            layer_scale_init_value=cx['layer_scale_init_value'], use_dwconv=cx['use_dwconv']), num_layers=me['fuser']['num_layers']),
        position_encoding=pe(me['position_encoding']))
    flags = {k: cfg[k] for k in ['num_maskmem', 'image_size', 'backbone_stride', 'sigmoid_scale_for_mem_enc', 'sigmoid_bias_for_mem_enc',
        'binarize_mask_from_pts_for_mem_enc', 'use_mask_input_as_output_without_sam', 'directly_add_no_mem_embed',
        'use_high_res_features_in_sam', 'multimask_output_in_sam', 'multimask_min_pt_num', 'multimask_max_pt_num',
        'multimask_output_for_tracking', 'use_multimask_token_for_obj_ptr', 'iou_prediction_use_sigmoid',
        'use_obj_ptrs_in_encoder', 'add_tpos_enc_to_obj_ptrs', 'proj_tpos_enc_in_obj_ptrs', 'use_signed_tpos_enc_to_obj_ptrs',
        'only_obj_ptrs_in_the_past_for_eval', 'pred_obj_scores', 'pred_obj_scores_mlp', 'fixed_no_obj_ptr',
        'use_mlp_for_obj_ptr_proj', 'no_obj_embed_spatial'] if k in cfg}
    vp = cfg.get('video_predictor', {})
    m = SAM2VideoPredictor(image_encoder=enc, memory_attention=mattn, memory_encoder=menc,
        sam_mask_decoder_extra_args=cfg.get('sam_mask_decoder_extra_args'),
        max_cond_frames_in_attn=vp.get('max_cond_frames_in_attn', -1), memory_temporal_stride_for_eval=vp.get('memory_temporal_stride_for_eval', 1),
        max_obj_ptrs_in_encoder=vp.get('max_obj_ptrs_in_encoder', 16),
        fill_hole_area=vp.get('fill_hole_area', 0), non_overlap_masks=vp.get('non_overlap_masks', False),
        clear_non_cond_mem_around_input=vp.get('clear_non_cond_mem_around_input', False),
        add_all_frames_to_correct_as_cond=vp.get('add_all_frames_to_correct_as_cond', False), **flags)
    return m.eval()

def load(config_path, ckpt):
    cfg = json.load(open(config_path))
    m = build(cfg)
    if ckpt is not None:
        sd = torch.load(ckpt, map_location='cpu')
        sd = sd.get('model', sd)
        missing, unexpected = m.load_state_dict(sd)
        assert not missing and not unexpected, (missing, unexpected)
    return m, cfg

def state_from_images(m, images, H, W):
    """init_state with frames already transformed (N, 3, S, S) float32."""
    import collections
    st = {}
    st["images"] = images
    st["num_frames"] = len(images)
    st["offload_video_to_cpu"] = False
    st["offload_state_to_cpu"] = False
    st["video_height"] = H
    st["video_width"] = W
    st["device"] = torch.device('cpu')
    st["storage_device"] = torch.device('cpu')
    st["point_inputs_per_obj"] = {}
    st["mask_inputs_per_obj"] = {}
    st["cached_features"] = {}
    st["constants"] = {}
    st["obj_id_to_idx"] = collections.OrderedDict()
    st["obj_idx_to_id"] = collections.OrderedDict()
    st["obj_ids"] = []
    st["output_dict_per_obj"] = {}
    st["temp_output_dict_per_obj"] = {}
    st["frames_tracked_per_obj"] = {}
    m._get_image_feature(st, frame_idx=0, batch_size=1)
    return st
