/**
 * A small, dependency-free ONNX `ModelProto` encoder: enough of onnx.proto3 to write graphs of
 * standard operators (Gemm, MatMul, Add, Relu, Sigmoid, Transpose, Reshape, …) with float32 /
 * int64 initializers and dynamic dimensions, so models built or learned in TypeScript can run
 * on ONNX Runtime without a Python toolchain.
 *
 * Encoding: protocol buffers wire format (varints, fixed32, length-delimited fields), written by
 * hand. Field numbers are those of onnx/onnx.proto3 (IR version 7, default opset 13).
 */

/** ONNX `TensorProto.DataType` values this encoder can write. */
export const OnnxDataType = { FLOAT: 1, INT32: 6, INT64: 7, DOUBLE: 11 } as const;
export type OnnxElemType = 'float32' | 'int32' | 'int64' | 'float64';
const ELEM: Record<OnnxElemType, number> = { float32: OnnxDataType.FLOAT, int32: OnnxDataType.INT32, int64: OnnxDataType.INT64, float64: OnnxDataType.DOUBLE };

/** A graph input or output: a named tensor whose dims are fixed sizes or symbolic names (dynamic). */
export interface OnnxValueInfo {
  name: string;
  /** Default float32. */
  elemType?: OnnxElemType;
  /** A number is a fixed size; a string a symbolic (dynamic) dimension such as `'N'`. */
  dims: readonly (number | string)[];
}

/** A constant tensor stored in the model (as `raw_data`, little-endian). */
export interface OnnxInitializer {
  name: string;
  dims: readonly number[];
  /** Float32Array → FLOAT, Int32Array → INT32, BigInt64Array → INT64 (e.g. Reshape's shape). */
  data: Float32Array | Int32Array | BigInt64Array;
}

/** An attribute value: number → INT when integral (use {@link floatAttr} to force FLOAT), string → STRING, arrays → INTS / FLOATS. */
export type OnnxAttribute = number | string | readonly number[] | { float: number } | { floats: readonly number[] };

/** Forces an integral value to be written as a FLOAT attribute (e.g. Gemm `alpha: floatAttr(1)`). */
export const floatAttr = (v: number): { float: number } => ({ float: v });

export interface OnnxNode {
  opType: string;
  inputs: readonly string[];
  outputs: readonly string[];
  name?: string;
  domain?: string;
  attributes?: Record<string, OnnxAttribute>;
}

export interface OnnxModelSpec {
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
  nodes: readonly OnnxNode[];
  initializers?: readonly OnnxInitializer[];
  /** Default 13. */
  opset?: number;
  /** Default 'gift-recommender'. */
  producer?: string;
  graphName?: string;
  docString?: string;
  /** Operator sets beyond the default domain, e.g. `{ domain: 'com.microsoft', version: 1 }` for ONNX Runtime's contrib ops. */
  extraOpsets?: readonly { domain: string; version: number }[];
  /** Written as ModelProto.metadata_props. */
  metadata?: Record<string, string>;
}

const IR_VERSION = 7;
const utf8 = new TextEncoder();

/** Append-only protobuf writer. Nested messages are encoded into their own writer and copied in. */
class Writer {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + extra) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  /** Unsigned varint for 0 ≤ v < 2^53; negatives are written as 64-bit two's complement (10 bytes), as int64 requires. */
  varint(v: number | bigint): this {
    let x = typeof v === 'bigint' ? BigInt.asUintN(64, v) : v < 0 ? BigInt.asUintN(64, BigInt(v)) : v;
    this.ensure(10);
    if (typeof x === 'number') {
      if (!Number.isSafeInteger(x)) throw new RangeError(`varint out of range: ${x}`);
      while (x >= 0x80) {
        this.buf[this.len++] = (x % 0x80) | 0x80;
        x = Math.floor(x / 0x80);
      }
      this.buf[this.len++] = x;
    } else {
      while (x >= 0x80n) {
        this.buf[this.len++] = Number(x & 0x7fn) | 0x80;
        x >>= 7n;
      }
      this.buf[this.len++] = Number(x);
    }
    return this;
  }

  private tag(field: number, wire: 0 | 2 | 5): this {
    return this.varint(field * 8 + wire);
  }

  int(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }

  float(field: number, v: number): this {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
    return this;
  }

  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  string(field: number, s: string): this {
    return this.bytes(field, utf8.encode(s));
  }

  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }

  /** Packed repeated varints (proto3 default for repeated scalars). */
  packedInts(field: number, vs: readonly (number | bigint)[]): this {
    const inner = new Writer();
    for (const v of vs) inner.varint(v);
    return this.bytes(field, inner.finish());
  }

  packedFloats(field: number, vs: readonly number[]): this {
    const f = new Float32Array(vs);
    return this.bytes(field, littleEndianBytes(f));
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function littleEndianBytes(a: Float32Array | Int32Array | BigInt64Array): Uint8Array {
  const view = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN) return view;
  // Big-endian hosts: ONNX raw_data is little-endian, so swap each element's bytes.
  const out = new Uint8Array(view);
  const w = a.BYTES_PER_ELEMENT;
  for (let i = 0; i < out.length; i += w) out.subarray(i, i + w).reverse();
  return out;
}

function valueInfo(v: OnnxValueInfo): Writer {
  const shape = new Writer();
  for (const d of v.dims) {
    const dim = new Writer();
    if (typeof d === 'number') {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`${v.name}: bad dim ${d}`);
      dim.int(1, d);
    } else dim.string(2, d);
    shape.message(1, dim);
  }
  const tensorType = new Writer().int(1, ELEM[v.elemType ?? 'float32']).message(2, shape);
  const type = new Writer().message(1, tensorType);
  return new Writer().string(1, v.name).message(2, type);
}

function tensor(t: OnnxInitializer): Writer {
  const count = t.dims.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) throw new RangeError(`${t.name}: dims [${t.dims.join(',')}] hold ${count} values, data has ${t.data.length}`);
  const type = t.data instanceof Float32Array ? OnnxDataType.FLOAT : t.data instanceof Int32Array ? OnnxDataType.INT32 : OnnxDataType.INT64;
  return new Writer().packedInts(1, t.dims).int(2, type).string(8, t.name).bytes(9, littleEndianBytes(t.data));
}

// AttributeProto.AttributeType
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

function attribute(name: string, v: OnnxAttribute): Writer {
  const w = new Writer().string(1, name);
  if (typeof v === 'string') return w.bytes(4, utf8.encode(v)).int(20, ATTR.STRING);
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return w.int(3, v).int(20, ATTR.INT);
    return w.float(2, v).int(20, ATTR.FLOAT);
  }
  if ('float' in v) return w.float(2, v.float).int(20, ATTR.FLOAT);
  if ('floats' in v) return w.packedFloats(7, v.floats).int(20, ATTR.FLOATS);
  const ints = v as readonly number[];
  if (!ints.every(Number.isInteger)) throw new RangeError(`attribute ${name}: a number[] is INTS; use { floats } for FLOATS`);
  return w.packedInts(8, ints).int(20, ATTR.INTS);
}

function node(n: OnnxNode, i: number): Writer {
  const w = new Writer();
  for (const s of n.inputs) w.string(1, s);
  for (const s of n.outputs) w.string(2, s);
  w.string(3, n.name ?? `${n.opType}_${i}`).string(4, n.opType);
  for (const [k, v] of Object.entries(n.attributes ?? {})) w.message(5, attribute(k, v));
  if (n.domain) w.string(7, n.domain);
  return w;
}

/**
 * Encodes a complete ONNX model (ModelProto bytes), loadable by `InferenceSession.create(bytes)`.
 * Checks only what is cheap (initializer sizes, attribute kinds); ONNX Runtime validates the graph.
 */
export function buildOnnxModel(spec: OnnxModelSpec): Uint8Array {
  const graph = new Writer();
  spec.nodes.forEach((n, i) => graph.message(1, node(n, i)));
  graph.string(2, spec.graphName ?? 'graph');
  for (const t of spec.initializers ?? []) graph.message(5, tensor(t));
  if (spec.docString) graph.string(10, spec.docString);
  for (const v of spec.inputs) graph.message(11, valueInfo(v));
  for (const v of spec.outputs) graph.message(12, valueInfo(v));

  const model = new Writer()
    .int(1, IR_VERSION)
    .string(2, spec.producer ?? 'gift-recommender')
    .string(3, '1')
    .message(7, graph)
    .message(8, new Writer().string(1, '').int(2, spec.opset ?? 13));
  for (const o of spec.extraOpsets ?? []) model.message(8, new Writer().string(1, o.domain).int(2, o.version));
  for (const [k, v] of Object.entries(spec.metadata ?? {})) model.message(14, new Writer().string(1, k).string(2, v));
  return model.finish();
}
