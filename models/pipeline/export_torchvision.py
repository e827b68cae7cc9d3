"""Export a user's own torchvision EfficientNet-B0 state dict to ONNX with the backbone's interface.

Interface (same as the ImageNet default made by convert_tfjs.py):
  input    float32 [N,3,224,224]  RGB, ImageNet mean/std (the caller normalises)
  features float32 [N,1280]       global average pool of the last feature map (before dropout/classifier)
  logits   float32 [N,K]          the checkpoint's own classifier (K read from classifier.1.weight)
opset 13, dynamic batch. The checkpoint is used as trained: torchvision's symmetric padding is kept,
since that is what a torchvision fine-tune learned with.

Usage: /usr/bin/python3 models/pipeline/export_torchvision.py --weights STATE_DICT.pt --out OUT.onnx
"""
import argparse
import os
import sys

import numpy as np
import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_onnx  # noqa: E402


class Backbone(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        f = torch.flatten(self.net.avgpool(self.net.features(x)), 1)
        return f, self.net.classifier(f)


def load_state_dict(path):
    obj = torch.load(path, map_location='cpu')
    if isinstance(obj, dict) and 'state_dict' in obj and isinstance(obj['state_dict'], dict):
        obj = obj['state_dict']
    if not isinstance(obj, dict):
        sys.exit(f'{path}: expected a state dict (or {{"state_dict": ...}}), got {type(obj).__name__}')
    # Checkpoints saved from DataParallel prefix every key with "module.".
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in obj.items()}


def main(argv):
    p = argparse.ArgumentParser()
    p.add_argument('--weights', required=True)
    p.add_argument('--out', required=True)
    p.add_argument('--seed', type=int, default=42)
    args = p.parse_args(argv)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)

    state = load_state_dict(args.weights)
    if 'classifier.1.weight' not in state:
        sys.exit(f'{args.weights}: not a torchvision EfficientNet-B0 state dict (no classifier.1.weight)')
    num_classes = state['classifier.1.weight'].shape[0]
    net = torchvision.models.efficientnet_b0(weights=None, num_classes=num_classes)
    missing, unexpected = net.load_state_dict(state, strict=False)
    if missing or unexpected:
        sys.exit(f'{args.weights}: state dict does not fit efficientnet_b0: missing {missing[:5]}, unexpected {unexpected[:5]}')
    model = Backbone(net).eval()

    x = torch.randn(2, 3, 224, 224)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(model, x, args.out, input_names=['input'], output_names=['features', 'logits'],
                          dynamic_axes={'input': {0: 'N'}, 'features': {0: 'N'}, 'logits': {0: 'N'}},
                          opset_version=13, do_constant_folding=True)
        expected = model(x)[0].numpy()
    # Check the exported graph against the module (interpreted in torch; no onnxruntime for Python here).
    try:
        got = torch_onnx.run(args.out, x)['features'].numpy()
        diff = float(np.abs(got - expected).max())
        print(f'[export] {args.out}: {num_classes} classes, features max |onnx - torch| = {diff:.2e}')
        if diff > 1e-3:
            sys.exit('exported graph does not match the torch module')
    except ValueError as err:  # an op outside the small interpreter: the graph is still valid ONNX
        print(f'[export] {args.out}: {num_classes} classes (graph not re-checked: {err})')


if __name__ == '__main__':
    main(sys.argv[1:])
