"""Records the official SAM 2 video predictor on a second, different tiny model and case (cross-check harness)."""
import os, sys, json, copy, math, numpy as np, torch
sys.path.insert(0, os.environ.get('SAM2_HARNESS', '.'))
import build_official as build
torch.set_num_threads(1)
out = sys.argv[1]
cfg = json.load(open(sys.argv[2]))  # the sam2_tiny fixture's config.json
cfg = copy.deepcopy(cfg)
cfg['image_size'] = 160
cfg['trunk'].update({'embed_dim': 24, 'num_heads': 2, 'stages': [1, 2, 2, 1], 'global_att_blocks': [4], 'window_spec': [8, 4, 4, 2],
                     'window_pos_embed_bkg_spatial_size': [5, 5]})
cfg['neck'].update({'d_model': 48, 'backbone_channel_list': [192, 96, 48, 24]})
cfg['neck']['position_encoding']['num_pos_feats'] = 48
ma = cfg['memory_attention']
ma.update({'d_model': 48, 'num_layers': 2, 'dim_feedforward': 80, 'feat_sizes': [10, 10], 'kv_in_dim': 24})
ma['self_attention'].update({'feat_sizes': [10, 10], 'num_heads': 2})
ma['cross_attention'].update({'feat_sizes': [10, 10], 'num_heads': 2, 'kv_in_dim': 24})
me = cfg['memory_encoder']
me.update({'out_dim': 24, 'in_dim': 48})
me['mask_downsampler']['embed_dim'] = 48
me['fuser']['cx_block']['dim'] = 48
me['position_encoding']['num_pos_feats'] = 24
cfg['num_maskmem'] = 4
cfg['video_predictor']['max_obj_ptrs_in_encoder'] = 5
cfg['seed_model'] = 777
cfg['seed_data'] = 11
torch.manual_seed(cfg['seed_model'])
m = build.build(cfg)
sd = m.state_dict()
for k, v in sd.items():
    if v.dim() >= 2:
        fan_in = v[0].numel()
        v.copy_(torch.randn_like(v) / math.sqrt(fan_in))
    elif 'norm' in k and k.endswith('weight'):
        v.copy_(1 + 0.1 * torch.randn_like(v))
    elif k.endswith('gamma'):
        v.copy_(0.5 + 0.1 * torch.randn_like(v))
    else:
        v.copy_(0.1 * torch.randn_like(v))
sd['sam_mask_decoder.pred_obj_score_head.layers.2.bias'].fill_(3.0)
for i in range(4):
    sd[f'sam_mask_decoder.output_hypernetworks_mlps.{i}.layers.2.weight'].mul_(25)
m.load_state_dict(sd)
torch.save({'model': m.state_dict()}, out + '/checkpoint.pt')
json.dump(cfg, open(out + '/config.json', 'w'), indent=1)
# a non-square volume: two blobs that move
rng = np.random.RandomState(cfg['seed_data'])
N, H, W = 7, 75, 101
yy, xx = np.mgrid[0:H, 0:W]
vol = np.zeros((N, H, W), np.float32)
for f in range(N):
    b1 = ((yy - 30 - f) ** 2 / (12 + f) ** 2 + (xx - 35 - 2 * f) ** 2 / 15 ** 2) < 1
    b2 = ((yy - 50) ** 2 / 10 ** 2 + (xx - 75 + f) ** 2 / (9 + f % 3) ** 2) < 1
    vol[f] = 40 + 120 * b1 + 180 * b2 + rng.randn(H, W) * 12
vol = np.clip(vol, 0, 255).round().astype(np.uint8)
np.save(out + '/volume_uint8.npy', vol)
from PIL import Image
S = cfg['image_size']
imgs = []
for f in range(N):
    im = np.array(Image.fromarray(vol[f]).convert('RGB').resize((S, S))) / 255.0
    imgs.append(torch.from_numpy(im).permute(2, 0, 1))
images = torch.zeros(N, 3, S, S, dtype=torch.float32)
for i, im in enumerate(imgs):
    images[i] = im
images -= torch.tensor([0.485, 0.456, 0.406])[:, None, None]
images /= torch.tensor([0.229, 0.224, 0.225])[:, None, None]
steps = []
def save(name, a):
    np.save(f'{out}/{name}.npy', a.float().numpy() if torch.is_tensor(a) else a)
with torch.inference_mode():
    st = build.state_from_images(m, images, H, W)
    # object 1: two clicks on frame 2; object 2: a box on frame 4 then a mask on frame 1
    _, ids, lg = m.add_new_points_or_box(st, frame_idx=1, obj_id=1, points=[[36.0, 32.0], [60.0, 10.0]], labels=[1, 0])
    save('step0', lg[:, 0]); steps.append({'op': 'points', 'frame': 1, 'obj': 1, 'points': [[36, 32], [60, 10]], 'labels': [1, 0], 'clear': True})
    _, ids, lg = m.add_new_points_or_box(st, frame_idx=4, obj_id=2, box=[62.0, 38.0, 90.0, 62.0])
    save('step1', lg[:, 0]); steps.append({'op': 'box', 'frame': 4, 'obj': 2, 'box': [62, 38, 90, 62]})
    mask = np.zeros((H, W), bool); mask[42:58, 64:86] = True
    _, ids, lg = m.add_new_mask(st, frame_idx=1, obj_id=2, mask=mask)
    save('step2', lg[:, 0]); steps.append({'op': 'mask', 'frame': 1, 'obj': 2, 'rows': [42, 58], 'cols': [64, 86]})
    k = 3
    for rev in [False, True]:
        for f, ids, lg in m.propagate_in_video(st, reverse=rev):
            save(f'step{k}_frame{f}', lg[:, 0])
        steps.append({'op': 'propagate', 'reverse': rev, 'step': k}); k += 1
    # a correction click on a tracked frame (5) for object 1, added to nothing (clear) then one more click appended
    _, ids, lg = m.add_new_points_or_box(st, frame_idx=5, obj_id=1, points=[[45.0, 36.0]], labels=[1])
    save(f'step{k}', lg[:, 0]); steps.append({'op': 'points', 'frame': 5, 'obj': 1, 'points': [[45, 36]], 'labels': [1], 'clear': True}); k += 1
    _, ids, lg = m.add_new_points_or_box(st, frame_idx=5, obj_id=1, points=[[20.0, 60.0]], labels=[0], clear_old_points=False)
    save(f'step{k}', lg[:, 0]); steps.append({'op': 'points', 'frame': 5, 'obj': 1, 'points': [[20, 60]], 'labels': [0], 'clear': False}); k += 1
    for f, ids, lg in m.propagate_in_video(st, reverse=False):
        save(f'step{k}_frame{f}', lg[:, 0])
    steps.append({'op': 'propagate', 'reverse': False, 'step': k}); k += 1
    for oi, od in st['output_dict_per_obj'].items():
        for key in ['cond_frame_outputs', 'non_cond_frame_outputs']:
            for f, o in od[key].items():
                pre = f'obj{oi + 1}_{key}_{f}_'
                save(pre + 'pred_masks', o['pred_masks'][0, 0]); save(pre + 'obj_ptr', o['obj_ptr'][0])
                save(pre + 'object_score_logits', o['object_score_logits'][0]); save(pre + 'maskmem_features', o['maskmem_features'][0])
json.dump({'steps': steps, 'frames': N}, open(out + '/case.json', 'w'), indent=1)
print('done', len(steps))
