"""Evaluate our converted EfficientNet-B0 ONNX graph with PyTorch (no onnxruntime for Python here).

The graph uses only Conv (explicit, possibly asymmetric pads), Sigmoid, Mul, Add, GlobalAveragePool,
Flatten and Gemm, so a direct interpretation is short and independent of ONNX Runtime: it checks the
conversion and produces the golden vectors that the TypeScript path (sharp + onnxruntime-node) must match.
"""
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def run(model_path, x, outputs=('features',)):
    """x: float32 tensor [N,3,224,224]; returns a dict of the requested outputs as float32 tensors."""
    model = onnx.load(model_path)
    env = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in model.graph.initializer}
    env[model.graph.input[0].name] = x
    with torch.no_grad():
        for node in model.graph.node:
            a = _attrs(node)
            i = [env[n] for n in node.input]
            op = node.op_type
            if op == 'Conv':
                t, l, b, r = a.get('pads', [0, 0, 0, 0])
                h = F.pad(i[0], (l, r, t, b))
                y = F.conv2d(h, i[1], i[2] if len(i) > 2 else None, stride=a.get('strides', [1, 1]),
                             groups=a.get('group', 1))
            elif op == 'Identity':
                y = i[0]
            elif op == 'Sigmoid':
                y = torch.sigmoid(i[0])
            elif op == 'Mul':
                y = i[0] * i[1]
            elif op == 'Add':
                y = i[0] + i[1]
            elif op == 'GlobalAveragePool':
                y = i[0].mean(dim=(2, 3), keepdim=True)
            elif op == 'Flatten':
                y = torch.flatten(i[0], a.get('axis', 1))
            elif op == 'Gemm':
                assert not a.get('transA', 0)
                w = i[1].T if a.get('transB', 0) else i[1]
                y = a.get('alpha', 1.0) * (i[0] @ w) + a.get('beta', 1.0) * i[2]
            else:
                raise ValueError(f'op {op} not supported by this interpreter')
            env[node.output[0]] = y
    return {k: env[k] for k in outputs}
