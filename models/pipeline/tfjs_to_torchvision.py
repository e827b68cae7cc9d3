"""Write the ImageNet EfficientNet-B0 (our converted ONNX) as a torchvision state dict.

A tool for exercising `npm run models:build -- --weights PATH` with real weights, and a starting point
for a user's own fine-tune. Batch norm is already folded in the source, so every BN becomes weight 1,
bias = the folded offset, running_mean 0, running_var 1 - eps. Convs are matched in order (the ONNX graph
and torchvision both list stem, [expand], depthwise, SE reduce, SE expand, project, ..., top) and checked
by shape. Note: torchvision pads stride-2 convs symmetrically, TF asymmetrically, so the same weights
give somewhat different features (see ../shared/models/efficientnet-b0/README.md).

Usage: /usr/bin/python3 models/pipeline/tfjs_to_torchvision.py models/artifacts/efficientnet_b0.onnx OUT.pt
"""
import sys

import onnx
import torch
import torchvision
from onnx import numpy_helper


def main(src, out):
    model = onnx.load(src)
    init = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    convs = [(init[n.input[1]], init[n.input[2]]) for n in model.graph.node if n.op_type == 'Conv']
    gemm = next(n for n in model.graph.node if n.op_type == 'Gemm')
    net = torchvision.models.efficientnet_b0(weights=None)
    sd = net.state_dict()
    conv_keys = [k for k, v in sd.items() if k.endswith('weight') and v.dim() == 4]
    if len(conv_keys) != len(convs):
        sys.exit(f'{len(convs)} ONNX convs vs {len(conv_keys)} torchvision convs')
    bns = {m: mod.eps for m, mod in net.named_modules() if isinstance(mod, torch.nn.BatchNorm2d)}
    for key, (w, b) in zip(conv_keys, convs):
        if sd[key].shape != w.shape:
            sys.exit(f'{key}: shape {tuple(sd[key].shape)} vs ONNX {tuple(w.shape)}')
        sd[key] = w
        prefix = key[:-len('weight')]
        if prefix + 'bias' in sd:  # SE fc1/fc2 carry their own bias
            sd[prefix + 'bias'] = b
        else:  # Conv2dNormActivation: conv (".0") followed by its BN (".1")
            bn = prefix[:-len('0.')] + '1'
            sd[bn + '.weight'] = torch.ones_like(b)
            sd[bn + '.bias'] = b
            sd[bn + '.running_mean'] = torch.zeros_like(b)
            sd[bn + '.running_var'] = torch.full_like(b, 1.0 - bns[bn])
    sd['classifier.1.weight'] = init[gemm.input[1]].T.contiguous()
    sd['classifier.1.bias'] = init[gemm.input[2]]
    net.load_state_dict(sd)
    torch.save(net.state_dict(), out)
    print(f'[tfjs_to_torchvision] {len(convs)} convs + classifier -> {out}')


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
