/**
 * The safetensors format (https://github.com/huggingface/safetensors):
 * 8-byte little-endian header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {k: v}},
 * then the raw little-endian tensor bytes. Everything read from a file is
 * validated, so a corrupt or truncated file gives an error, never garbage.
 */
import { Tensor } from '../tensor/tensor.js';
import type { DType, TypedArray } from '../tensor/dtype.js';

export type TensorMap = Record<string, Tensor>;

const WRITE_DTYPE: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };
const ELEMENT_BYTES: Record<string, number> = { F32: 4, F64: 8, I32: 4, BOOL: 1, I64: 8, F16: 2, BF16: 2, U8: 1, I8: 1, I16: 2 };
const MAX_HEADER = 100 * 1024 * 1024;

function fail(source: string, problem: string): never {
  throw new Error(`safetensors: ${source}: ${problem}`);
}

/** Serialise named tensors (keys sorted, as the reference writer does) with optional string metadata. */
export function serialize(tensors: TensorMap | Map<string, Tensor>, metadata?: Record<string, string>): Uint8Array {
  const entries = (tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`safetensors: metadata value for '${k}' must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  let offset = 0;
  const blobs: Uint8Array[] = [];
  for (const [name, t] of entries) {
    if (!(t instanceof Tensor)) throw new Error(`safetensors: '${name}' is not a Tensor`);
    const values = t.contiguous().data();
    const bytes = new Uint8Array(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    header[name] = { dtype: WRITE_DTYPE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    blobs.push(bytes);
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so the data starts 8-byte aligned (allowed by the spec).
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const b of blobs) {
    out.set(b, at);
    at += b.length;
  }
  return out;
}

export interface Loaded {
  tensors: TensorMap;
  metadata: Record<string, string>;
}

/** Parse safetensors bytes; `source` names the file in error messages. */
export function deserialize(bytes: Uint8Array, source = '<buffer>'): Loaded {
  if (bytes.length < 8) fail(source, `file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > MAX_HEADER || 8 + n > bytes.length) fail(source, `header length ${n} exceeds the file size ${bytes.length} (truncated or not a safetensors file)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(source, `header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) fail(source, 'header must be a JSON object');
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata = (header.__metadata__ ?? {}) as Record<string, string>;
  const tensors: TensorMap = {};
  const ranges: [number, number, string][] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = (info ?? {}) as { dtype?: string; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !(dtype in ELEMENT_BYTES)) fail(source, `tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)}`);
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) fail(source, `tensor '${name}' has an invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
      fail(source, `tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end - begin !== count * ELEMENT_BYTES[dtype]) {
      fail(source, `tensor '${name}' has ${end - begin} bytes of data but shape [${shape}] of ${dtype} needs ${count * ELEMENT_BYTES[dtype]}`);
    }
    if (end > dataLength) fail(source, `tensor '${name}' data [${begin}, ${end}) runs past the end of the file (truncated?)`);
    ranges.push([begin, end, name]);
    tensors[name] = new Tensor(decode(dtype, bytes.subarray(dataStart + begin, dataStart + end), name, source), shape as number[]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) fail(source, `tensors '${ranges[i - 1][2]}' and '${ranges[i][2]}' overlap`);
  }
  return { tensors, metadata };
}

/** Copy raw little-endian bytes into a typed array of one of Strata's dtypes. */
function decode(dtype: string, raw: Uint8Array, name: string, source: string): TypedArray {
  const copy = new Uint8Array(raw); // an aligned, owned copy (Buffer.slice would be a view)
  const buf = copy.buffer;
  switch (dtype) {
    case 'F32': return new Float32Array(buf);
    case 'F64': return new Float64Array(buf);
    case 'I32': return new Int32Array(buf);
    case 'BOOL': return new Uint8Array(buf);
    case 'U8': case 'I8': case 'I16': {
      const src = dtype === 'U8' ? new Uint8Array(buf) : dtype === 'I8' ? new Int8Array(buf) : new Int16Array(buf);
      return Int32Array.from(src);
    }
    case 'I64': {
      // PyTorch stores num_batches_tracked and indices as int64; Strata uses int32.
      const src = new BigInt64Array(buf);
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        if (src[i] > 2147483647n || src[i] < -2147483648n) fail(source, `tensor '${name}' has int64 value ${src[i]} outside the int32 range`);
        out[i] = Number(src[i]);
      }
      return out;
    }
    case 'F16': return Float32Array.from(new Uint16Array(buf), halfToFloat);
    case 'BF16': return Float32Array.from(new Uint16Array(buf), (h) => new Float32Array(new Uint32Array([h << 16]).buffer)[0]);
    default: fail(source, `tensor '${name}' has unsupported dtype ${dtype}`);
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}
