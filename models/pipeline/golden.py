"""Golden feature vectors for test/unit/image-golden.test.ts, computed entirely in Python:
PIL decoding + the libvips-exact NumPy resize (preprocess.py) + a torch evaluation of the ONNX graph
(torch_onnx.py). The TypeScript path (sharp + onnxruntime-node) must reproduce them.

Usage: /usr/bin/python3 models/pipeline/golden.py --model efficientnet_b0.onnx --images DIR --out golden.json
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from preprocess import load_rgb, to_tensor  # noqa: E402
import torch_onnx  # noqa: E402


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument('--model', required=True)
    p.add_argument('--images', required=True)
    p.add_argument('--out', required=True)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    files = sorted(f for f in os.listdir(args.images) if f.lower().endswith(('.jpg', '.jpeg', '.png', '.webp')))
    x = torch.from_numpy(np.stack([to_tensor(load_rgb(os.path.join(args.images, f))) for f in files]))
    feats = torch_onnx.run(args.model, x)['features'].numpy().astype(np.float32)
    with open(args.model, 'rb') as f:
        model_sha = hashlib.sha256(f.read()).hexdigest()
    # One image per line; each float32 printed with the fewest digits that round-trip it.
    lines = [json.dumps({'file': f, 'features': [float(np.format_float_positional(v, unique=True)) for v in row]},
                        separators=(',', ':')) for f, row in zip(files, feats)]
    header = {
        'generated_by': 'models/pipeline/golden.py (PIL + libvips-exact NumPy resize + torch evaluation of the ONNX graph)',
        'model_sha256': model_sha,
    }
    with open(args.out, 'w') as f:
        f.write(json.dumps(header, indent=1)[:-2] + ',\n "images": [\n  ' + ',\n  '.join(lines) + '\n ]\n}\n')
    print(f'[golden] {len(files)} images -> {args.out}')


if __name__ == '__main__':
    main(sys.argv[1:])
