import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as st from '../../src/index.js';
import { deserialize, serialize } from '../../src/io/safetensors.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/files.js';

/** Bytes laid out by hand from the spec, as another writer would produce them. */
function handMade(header: object, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

test('round trip keeps names, shapes, dtypes and values', () => {
  const tensors = {
    'features.0.weight': st.tensor([[1.5, -2], [3, 4]]),
    'bn.num_batches_tracked': st.tensor(7, { dtype: 'int32' }),
    'w64': st.tensor([1e-300, 2], { dtype: 'float64' }),
    mask: st.tensor([true, false, true]),
    transposed: st.arange(6).float().reshape([2, 3]).t(),
  };
  const loaded = deserialize(serialize(tensors, { format: 'pt' }));
  assert.deepEqual(loaded.metadata, { format: 'pt' });
  for (const [name, t] of Object.entries(tensors)) {
    assert.equal(loaded.tensors[name].dtype, t.dtype, name);
    assert.deepEqual(loaded.tensors[name].toArray(), t.toArray(), name);
  }
});

test('reads files written by other writers (I64, F16, BF16 converted)', () => {
  const data = new Uint8Array(8 + 4 + 2 + 2);
  const dv = new DataView(data.buffer);
  dv.setBigInt64(0, 42n, true);
  dv.setFloat32(8, 0.25, true);
  dv.setUint16(12, 0x3c00, true); // 1.0 in half precision
  dv.setUint16(14, 0x4040, true); // 3.0 in bfloat16
  const bytes = handMade({
    n: { dtype: 'I64', shape: [], data_offsets: [0, 8] },
    f: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
    h: { dtype: 'F16', shape: [1], data_offsets: [12, 14] },
    b: { dtype: 'BF16', shape: [1], data_offsets: [14, 16] },
  }, data);
  const { tensors } = deserialize(bytes);
  assert.equal(tensors.n.item(), 42);
  assert.equal(tensors.n.dtype, 'int32');
  assert.deepEqual(tensors.f.toArray(), [0.25]);
  assert.deepEqual(tensors.h.toArray(), [1]);
  assert.deepEqual(tensors.b.toArray(), [3]);
});

const good = serialize({ w: st.ones([2, 2]) });
const corrupt: [string, Uint8Array, RegExp][] = [
  ['too short', new Uint8Array(3), /too short/],
  ['header length past the end', good.slice(0, 12), /exceeds the file size/],
  ['truncated data', good.slice(0, good.length - 4), /runs past the end/],
  ['bad JSON', handMade({}, new Uint8Array()).map((b, i) => (i === 8 ? 0x7b + 1 : b)), /not valid JSON/],
  ['unknown dtype', handMade({ w: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), /unsupported dtype/],
  ['size mismatch', handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)), /needs 8/],
  ['bad shape', handMade({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /invalid shape/],
  ['overlap', handMade({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [2, 6] } }, new Uint8Array(8)), /overlap/],
];
for (const [name, bytes, message] of corrupt) {
  test(`corrupt file: ${name} is rejected with a clear error`, () => {
    assert.throws(() => deserialize(bytes, 'model.safetensors'), (e: Error) => message.test(e.message) && e.message.includes('model.safetensors'));
  });
}

test('files are written atomically and read back; no temp file is left behind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-st-'));
  const path = join(dir, 'w.safetensors');
  saveSafetensors(path, { a: st.tensor([1, 2, 3]) });
  saveSafetensors(path, { a: st.tensor([4, 5, 6]) });
  assert.deepEqual(loadSafetensors(path).tensors.a.toArray(), [4, 5, 6]);
  assert.deepEqual(readdirSync(dir), ['w.safetensors']);
  writeFileSync(path, readFileSync(path).subarray(0, 20));
  assert.throws(() => loadSafetensors(path), /w\.safetensors/);
  assert.throws(() => loadSafetensors(join(dir, 'missing.safetensors')), /cannot read/);
});
