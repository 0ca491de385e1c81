"""Records the state-dict keys and shapes of the official SAM 2.1 models, built from the official
YAML configs (facebookresearch/sam2, sam2/configs/sam2.1/*.yaml) without hydra: every mapping with a
`_target_` is instantiated with its other entries as keyword arguments.

    SAM2_CODE=/path/to/sam2-checkout python3 record.py > presets.json
"""
import importlib, json, os, sys
sys.path.insert(0, os.environ.get('SAM2_CODE', '.'))
import torch
import yaml

torch.set_num_threads(1)


def instantiate(node):
    if isinstance(node, dict):
        args = {k: instantiate(v) for k, v in node.items() if k != '_target_'}
        if '_target_' not in node:
            return args
        module, _, name = node['_target_'].rpartition('.')
        return getattr(importlib.import_module(module), name)(**args)
    if isinstance(node, list):
        return [instantiate(v) for v in node]
    if isinstance(node, str):  # YAML 1.1 reads 1e-6 as a string; OmegaConf reads it as a float
        try:
            return float(node)
        except ValueError:
            return node
    return node


out = {}
code = os.environ.get('SAM2_CODE', '.')
for preset, file in [('sam2.1_hiera_t', 'sam2.1_hiera_t.yaml'), ('sam2.1_hiera_s', 'sam2.1_hiera_s.yaml'),
                     ('sam2.1_hiera_b+', 'sam2.1_hiera_b+.yaml'), ('sam2.1_hiera_l', 'sam2.1_hiera_l.yaml')]:
    with open(os.path.join(code, 'sam2', 'configs', 'sam2.1', file)) as f:
        cfg = yaml.safe_load(f)['model']
    model = instantiate(cfg)
    sd = model.state_dict()
    out[preset] = {'parameters': sum(v.numel() for v in sd.values()),
                   'keys': {k: list(v.shape) for k, v in sd.items()}}
    del model
print(json.dumps(out, sort_keys=True))
