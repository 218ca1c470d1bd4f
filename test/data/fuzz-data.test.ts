/**
 * Image-transform regressions found by differential fuzzing against torchvision 0.14 (tensor path):
 * expected values from test/fixtures/fuzz_data.json (tools/fixtures/fuzz_data.py). float32 results are
 * compared to float32 rounding, float64 ones tightly, integer images exactly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import { Uint8Image } from '../../src/data/index.js';
import type { ImageInput } from '../../src/data/index.js';
import * as F from '../../src/data/functional.js';
import { assertClose } from './helpers.js';

interface Case {
  name: string;
  op: 'resize' | 'resizedCrop' | 'rotate' | 'rgbToGrayscale' | 'adjustBrightness' | 'adjustContrast' | 'adjustSaturation' | 'adjustHue';
  kind: 'float32' | 'float64' | 'int64' | 'uint8';
  input: { shape: number[]; values: number[] };
  args: any[];
  options: Record<string, any>;
  out: { shape: number[]; values: number[] };
}

const { cases } = JSON.parse(readFileSync(new URL('../fixtures/fuzz_data.json', import.meta.url), 'utf8')) as { cases: Case[] };

function input(c: Case): ImageInput {
  const { shape, values } = c.input;
  if (c.kind === 'uint8') return new Uint8Image(Uint8Array.from(values), shape[0], shape[1], shape[2]);
  return st.tensor(values, { shape, dtype: c.kind === 'int64' ? 'int32' : c.kind });
}

function call(c: Case, img: ImageInput): ImageInput {
  const a = c.args;
  switch (c.op) {
    case 'resize': return F.resize(img, a[0], c.options);
    case 'resizedCrop': return F.resizedCrop(img, a[0], a[1], a[2], a[3], a[4], c.options);
    case 'rotate': return F.rotate(img, a[0], c.options);
    case 'rgbToGrayscale': return F.rgbToGrayscale(img, a[0]);
    case 'adjustBrightness': return F.adjustBrightness(img, a[0]);
    case 'adjustContrast': return F.adjustContrast(img, a[0]);
    case 'adjustSaturation': return F.adjustSaturation(img, a[0]);
    case 'adjustHue': return F.adjustHue(img, a[0]);
  }
}

const TOL = { float32: 2e-6, float64: 1e-12, int64: 0, uint8: 0 };

for (const kind of ['float32', 'float64', 'int64', 'uint8'] as const) {
  test(`transforms match torchvision 0.14 on ${kind} images (fuzz regressions)`, () => {
    const mine = cases.filter((c) => c.kind === kind);
    assert.ok(mine.length > 0);
    for (const c of mine) {
      const out = call(c, input(c));
      assert.deepEqual([...out.shape], c.out.shape, `${c.name}: shape`);
      if (out instanceof Uint8Image) assert.deepEqual(Array.from(out.data), c.out.values, `${c.name}: bytes`);
      else {
        assert.equal(out.dtype, kind === 'int64' ? 'int32' : kind, `${c.name}: dtype`);
        assertClose(out, c.out.values, TOL[kind], c.name);
      }
    }
  });
}

test('transform arguments torchvision rejects', () => {
  const img = st.rand([3, 5, 7]);
  const cases: [string, () => unknown, RegExp][] = [
    // "Size must be an int or a 1 or 2 element tuple/list, not a 3 element tuple/list"
    ['resize with 3 sizes', () => F.resize(img, [3, 4, 5]), /resize: size must be a number or a list of 1 or 2 numbers/],
    // "Antialias option is supported for bilinear and bicubic interpolation modes only" (also when the size is unchanged)
    ['resize nearest antialias', () => F.resize(img, [3, 4], { interpolation: 'nearest', antialias: true }), /antialias is supported for the bilinear and bicubic/],
    ['resize nearest antialias, same size', () => F.resize(img, [5, 7], { interpolation: 'nearest', antialias: true }), /antialias is supported/],
    // _pad_symmetric mirrors once: larger padding is an IndexError there
    ['symmetric pad over the width', () => F.pad(img, [8, 0], { paddingMode: 'symmetric' }), /pad: symmetric padding \(8,0,8,0\) must not exceed the image size 5x7/],
    ['symmetric pad over the height', () => F.pad(img, [0, 0, 0, 6], { paddingMode: 'symmetric' }), /must not exceed/],
    // "Input image tensor should have at least 3 dimensions" / "num_output_channels should be either 1 or 3"
    ['grayscale of an H×W tensor', () => F.rgbToGrayscale(st.rand([4, 4])), /rgbToGrayscale: expected a tensor with at least 3 dimensions/],
    ['grayscale to 2 channels', () => F.rgbToGrayscale(img, 2 as 1), /numOutputChannels must be 1 or 3, got 2/],
  ];
  for (const [name, fn, re] of cases) assert.throws(fn, re, name);
  // symmetric padding up to the image size is fine, and resize returns a new image even at the same size
  assert.deepEqual(F.pad(img, [7, 5], { paddingMode: 'symmetric' }).shape, [3, 15, 21]);
  assert.notEqual(F.resize(img, [5, 7]), img);
});
