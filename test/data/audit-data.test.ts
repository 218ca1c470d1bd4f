/**
 * Audit cases for the data pipeline against torchvision 0.14: expected values from
 * test/fixtures/audit_data.json (tools/fixtures/audit_data.py). Float images are compared to
 * float32 rounding, uint8 images byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import * as data from '../../src/data/index.js';
import { Uint8Image } from '../../src/data/index.js';
import * as F from '../../src/data/functional.js';
import { assertClose } from './helpers.js';

interface Output {
  shape: number[];
  values: number[];
}
interface Case {
  name: string;
  input: 'float' | 'uint8';
  op?: 'rotate' | 'resize' | 'pad';
  transform?: 'RandomRotation' | 'Resize' | 'RandomResizedCrop' | 'Pad';
  args: any[];
  options: Record<string, any>;
  seed?: number;
  outputs: Output[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/audit_data.json', import.meta.url), 'utf8')) as {
  inputs: Record<'float' | 'uint8', Output>;
  cases: Case[];
};

function input(kind: 'float' | 'uint8'): data.ImageInput {
  const { shape, values } = fixture.inputs[kind];
  if (kind === 'uint8') return new Uint8Image(Uint8Array.from(values), shape[0], shape[1], shape[2]);
  return st.tensor(values, { shape });
}

function functional(c: Case, img: data.ImageInput): data.ImageInput {
  if (c.op === 'rotate') return F.rotate(img, c.args[0], c.options);
  if (c.op === 'resize') return F.resize(img, c.args[0], c.options);
  if (c.op === 'pad') return F.pad(img, c.args[0], c.options);
  throw new Error(`unknown op ${c.op}`);
}

function makeTransform(c: Case): data.Transform {
  if (c.transform === 'RandomRotation') return new data.RandomRotation(c.args[0], c.options);
  if (c.transform === 'Resize') return new data.Resize(c.args[0], c.options);
  if (c.transform === 'Pad') return new data.Pad(c.args[0], c.options);
  if (c.transform === 'RandomResizedCrop') return new data.RandomResizedCrop(c.args[0], c.options);
  throw new Error(`unknown transform ${c.transform}`);
}

function check(out: data.ImageInput, expected: Output, what: string): void {
  assert.deepEqual([...out.shape], expected.shape, `${what}: shape`);
  if (out instanceof Uint8Image) assert.deepEqual(Array.from(out.data), expected.values, `${what}: bytes`);
  else assertClose(out, expected.values, 2e-6, what);
}

test('functional rotate, resize and pad match torchvision 0.14 (rotate fill mask, bicubic, negative padding)', () => {
  const cases = fixture.cases.filter((c) => c.op);
  assert.ok(cases.length > 0);
  for (const c of cases) check(functional(c, input(c.input)), c.outputs[0], c.name);
});

test('transforms match torchvision 0.14 under the same seed (RandomRotation fill, bicubic Resize / RandomResizedCrop, negative Pad)', () => {
  const cases = fixture.cases.filter((c) => c.transform);
  assert.ok(cases.length > 0);
  for (const c of cases) {
    st.manualSeed(c.seed!);
    const t = makeTransform(c);
    const img = input(c.input);
    c.outputs.forEach((expected, k) => check(t.forward(img), expected, `${c.name} #${k}`));
  }
});

test('data transform errors torchvision also raises', () => {
  const img = input('float');
  const cases: [string, () => unknown, RegExp][] = [
    // torchvision: "max_size should only be passed if size specifies the length of the smaller edge"
    ['Resize [h, w] with maxSize', () => new data.Resize([4, 5], { maxSize: 10 }).forward(img), /resize: maxSize only applies when size is the smaller edge/],
    ['resize [h, w] with maxSize', () => F.resize(img, [4, 5], { maxSize: 10 }), /maxSize only applies/],
    ['resize maxSize not above size', () => F.resize(img, 7, { maxSize: 7 }), /maxSize = 7 must be strictly greater than the requested size 7/],
    ['pad cropping everything', () => F.pad(img, [0, -4, 0, -4]), /pad: padding \[0,-4,0,-4\] crops more than the 7x9 image holds/],
    ['Pad with 3 values', () => new data.Pad([1, 2, 3]), /Pad: padding must be an integer or a list of 1, 2 or 4 integers/],
    ['rotate bicubic', () => F.rotate(img, 10, { interpolation: 'bicubic' }), /rotate: interpolation must be 'nearest' or 'bilinear', got 'bicubic'/],
  ];
  for (const [name, fn, re] of cases) assert.throws(fn, re, name);
  // a one-element size is the smaller edge, so maxSize applies
  assert.deepEqual(F.resize(img, [5], { maxSize: 6 }).shape, [3, 5, 6]);
});

test('Normalize inplace writes through a strided view, as torchvision (sub_, div_)', () => {
  const base = st.arange(24).reshape([3, 2, 4]).float();
  const view = base.narrow(2, 1, 2);
  assert.equal(new data.Normalize([1, 2, 3], [2, 2, 2], { inplace: true }).forward(view), view);
  // torch: b = arange(24.).reshape(3, 2, 4); TF.normalize(b[:, :, 1:3], [1, 2, 3], [2, 2, 2], inplace=True)
  const expected = [0, 0, 0.5, 3, 4, 2, 2.5, 7, 8, 3.5, 4, 11, 12, 5.5, 6, 15, 16, 7, 7.5, 19, 20, 9, 9.5, 23];
  assert.deepEqual(Array.from(base.data()), expected);
});
