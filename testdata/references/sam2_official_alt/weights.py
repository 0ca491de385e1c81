"""Derives weights.json from the checkpoint.pt that record.py writes: the number of 32-bit draws the
official model's initialisers take from the generator seeded with 777 (found by matching
torch.get_rng_state() after build, see README.md), the state-dict order and shapes, and the SHA-256
of the float32 values; it checks that those draws reproduce every tensor exactly.

    python3 weights.py out/checkpoint.pt weights.json
"""
import sys
import torch, math, json, hashlib, numpy as np
ck = torch.load(sys.argv[1])['model']
K = 1482263  # draws taken by build(cfg) after manual_seed(777): get_rng_state() equals manual_seed(777) + rand(K)
torch.manual_seed(777); torch.rand(K)
h = hashlib.sha256()
keys = []
bad = 0
for k, v in ck.items():
    g = torch.empty_like(v)
    if v.dim() >= 2:
        g.copy_(torch.randn_like(v) / math.sqrt(v[0].numel()))
    elif 'norm' in k and k.endswith('weight'):
        g.copy_(1 + 0.1 * torch.randn_like(v))
    elif k.endswith('gamma'):
        g.copy_(0.5 + 0.1 * torch.randn_like(v))
    else:
        g.copy_(0.1 * torch.randn_like(v))
    if k == 'sam_mask_decoder.pred_obj_score_head.layers.2.bias': g.fill_(3.0)
    if k.startswith('sam_mask_decoder.output_hypernetworks_mlps.') and k.endswith('.layers.2.weight'): g.mul_(25)
    if not torch.equal(g, v): bad += 1; print('differs', k)
    h.update(v.contiguous().numpy().astype('<f4').tobytes())
    keys.append([k, list(v.shape)])
print('bad', bad, 'n', len(keys))
json.dump({'seed': 777, 'skipped_draws': K, 'sha256_float32_le': h.hexdigest(), 'tensors': keys},
          open(sys.argv[2], 'w'), indent=0)
print(h.hexdigest())
