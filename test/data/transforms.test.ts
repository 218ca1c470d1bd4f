import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import * as data from '../../src/data/index.js';
import { Uint8Image } from '../../src/data/index.js';
import * as F from '../../src/data/functional.js';
import { assertClose, fixtures } from './helpers.js';

const T = fixtures.transforms;
const img = st.tensor(T.image, { shape: T.shape });
const rgb = st.tensor(T.rgb, { shape: [3, 4, 5] });
const rgb8 = new Uint8Image(Uint8Array.from(T.rgb8), 3, 4, 5);
/** 1×2×3 image [[1, 2, 3], [4, 5, 6]]. */
const small = st.tensor([[[1, 2, 3], [4, 5, 6]]]);
const small8 = new Uint8Image(Uint8Array.from([1, 2, 3, 4, 5, 6]), 1, 2, 3);

test('ToTensor: bytes to float32 [0, 1] CHW; float tensors pass; others are refused', () => {
  const t = new data.ToTensor().forward(new Uint8Image(Uint8Array.from([0, 255, 128, 1, 2, 3]), 2, 1, 3));
  assert.deepEqual(t.shape, [2, 1, 3]);
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(Array.from(t.data()), [0, 1, Math.fround(128 / 255), Math.fround(1 / 255), Math.fround(2 / 255), Math.fround(3 / 255)]);
  assert.equal(new data.ToTensor().forward(small), small);
  assert.throws(() => new data.ToTensor().forward(st.tensor([1, 2], { dtype: 'int32' })), /ToTensor: expected a Uint8Image/);
});

test('Normalize matches torchvision and explains misuse', () => {
  assertClose(new data.Normalize([0.5, 0.4, 0.3], [0.2, 0.25, 0.3]).forward(img), T.normalize, 0, 'normalize');
  const cases: [string, () => unknown, RegExp][] = [
    ['uint8 image', () => new data.Normalize([0.5], [0.5]).forward(small8 as unknown as st.Tensor), /put ToTensor\(\) before Normalize/],
    ['zero std', () => new data.Normalize([0.5], [0]).forward(img), /std evaluated to zero/],
    ['channel count', () => new data.Normalize([0.5, 0.5], [1, 1]).forward(img), /mean has 2 values but the image has 3 channels/],
    ['no channel dim', () => new data.Normalize([0.5], [1]).forward(st.ones([4, 4])), /expected a tensor image of shape \[\.\.\., C, H, W\]/],
  ];
  for (const [name, fn, re] of cases) assert.throws(fn, re, name);
  const x = img.clone();
  assert.equal(new data.Normalize([0], [2], { inplace: true }).forward(x), x);
  assertClose(x, T.image.map((v: number) => v / 2), 0, 'inplace');
});

test('flips, crops and pads give exact values on small inputs', () => {
  const cases: [string, () => data.ImageInput, number[], number[]][] = [
    ['hflip tensor', () => F.hflip(small), [1, 2, 3], [3, 2, 1, 6, 5, 4]],
    ['vflip tensor', () => F.vflip(small), [1, 2, 3], [4, 5, 6, 1, 2, 3]],
    ['hflip uint8', () => F.hflip(small8), [1, 2, 3], [3, 2, 1, 6, 5, 4]],
    ['crop inside', () => F.crop(small, 0, 1, 2, 2), [1, 2, 2], [2, 3, 5, 6]],
    ['crop past the edges fills', () => F.crop(small8, -1, 2, 2, 3, 9), [1, 2, 3], [9, 9, 9, 3, 9, 9]],
    ['pad constant', () => F.pad(small, [1, 0], { fill: 7 }), [1, 2, 5], [7, 1, 2, 3, 7, 7, 4, 5, 6, 7]],
    ['pad reflect', () => F.pad(small8, [2, 0, 0, 0], { paddingMode: 'reflect' }), [1, 2, 5], [3, 2, 1, 2, 3, 6, 5, 4, 5, 6]],
    ['pad symmetric', () => F.pad(small, [0, 1, 1, 0], { paddingMode: 'symmetric' }), [1, 3, 4], [1, 2, 3, 3, 1, 2, 3, 3, 4, 5, 6, 6]],
    ['pad edge', () => F.pad(small, [1, 0, 0, 1], { paddingMode: 'edge' }), [1, 3, 4], [1, 1, 2, 3, 4, 4, 5, 6, 4, 4, 5, 6]],
    ['center crop', () => F.centerCrop(small, [1, 1]), [1, 1, 1], [2]],
    ['vertical flip p=1', () => new data.RandomVerticalFlip({ p: 1 }).forward(small), [1, 2, 3], [4, 5, 6, 1, 2, 3]],
    ['horizontal flip p=0', () => new data.RandomHorizontalFlip({ p: 0 }).forward(small), [1, 2, 3], [1, 2, 3, 4, 5, 6]],
  ];
  for (const [name, fn, shape, values] of cases) {
    const out = fn();
    const [s, v] = out instanceof Uint8Image ? [out.shape, Array.from(out.data)] : [out.shape, Array.from(out.data())];
    assert.deepEqual(s, shape, name);
    assert.deepEqual(v, values, name);
  }
  assert.ok(F.hflip(small8) instanceof Uint8Image, 'uint8 in, uint8 out');
});

test('pad, centerCrop, resize and rotate match torchvision', () => {
  const cases: [string, st.Tensor, number[], number][] = [
    ['pad reflect', F.pad(img, [2, 1, 3, 2], { paddingMode: 'reflect' }), T.pad_reflect, 0],
    ['pad edge', F.pad(img, [2, 1, 3, 2], { paddingMode: 'edge' }), T.pad_edge, 0],
    ['pad symmetric', F.pad(img, [2, 1, 3, 2], { paddingMode: 'symmetric' }), T.pad_symmetric, 0],
    ['centerCrop', new data.CenterCrop(3).forward(img), T.centerCrop, 0],
    ['centerCrop larger than the image', new data.CenterCrop([7, 9]).forward(img), T.centerCropPad, 0],
    ['resize down (antialias)', new data.Resize([3, 4], { antialias: true }).forward(img), T.resizeDown, 2e-6],
    ['resize up', new data.Resize([7, 11], { antialias: true }).forward(img), T.resizeUp, 2e-6],
    ['rotate 30', F.rotate(img, 30), T.rotate30, 0],
    ['rotate 90', F.rotate(img.narrow(1, 0, 5).narrow(2, 0, 5), 90), T.rotate90, 0],
  ];
  for (const [name, out, expected, tol] of cases) assertClose(out, expected, tol, name);
  assert.deepEqual(new data.Resize(10).forward(img).shape, T.resizeShort);
  assert.deepEqual(new data.Resize(10, { maxSize: 11 }).forward(img).shape, [3, 9, 11]);
});

test('colour adjustments match torchvision (float and uint8)', () => {
  const cases: [string, data.ImageInput, number[], number][] = [
    ['brightness', F.adjustBrightness(rgb, 1.3), T.brightness, 1e-6],
    ['contrast', F.adjustContrast(rgb, 0.6), T.contrast, 1e-6],
    ['saturation', F.adjustSaturation(rgb, 1.7), T.saturation, 1e-6],
    ['hue', F.adjustHue(rgb, 0.2), T.hue, 1e-6],
    ['hue negative', F.adjustHue(rgb, -0.45), T.hueNeg, 1e-6],
    ['grayscale', new data.Grayscale().forward(rgb), T.grayscale, 1e-6],
    ['brightness uint8', F.adjustBrightness(rgb8, 1.3), T.brightness8, 0],
    ['contrast uint8', F.adjustContrast(rgb8, 0.6), T.contrast8, 0],
    ['saturation uint8', F.adjustSaturation(rgb8, 1.7), T.saturation8, 0],
    ['hue uint8', F.adjustHue(rgb8, 0.2), T.hue8, 1],
  ];
  for (const [name, out, expected, tol] of cases) {
    assertClose(out instanceof Uint8Image ? out.data : out, expected, tol, name);
  }
});

test('random transforms draw what torchvision draws for the same seed', () => {
  st.manualSeed(7);
  const crop = new data.RandomCrop(4, { padding: 1 });
  T.randomCrop.forEach((expected: number[], k: number) => assertClose(crop.forward(img), expected, 0, `RandomCrop #${k}`));

  st.manualSeed(7);
  const crop2 = new data.RandomCrop([6, 8], { padIfNeeded: true, paddingMode: 'reflect' });
  T.randomCropPadIfNeeded.forEach((expected: number[], k: number) => assertClose(crop2.forward(img), expected, 0, `padIfNeeded #${k}`));

  st.manualSeed(3);
  const flip = new data.RandomHorizontalFlip();
  assert.deepEqual(T.flips.map(() => flip.forward(img) !== img), T.flips);

  st.manualSeed(11);
  for (const expected of T.randomResizedCropParams) assert.deepEqual(data.RandomResizedCrop.getParams(5, 6, [0.08, 1], [3 / 4, 4 / 3]), expected);
  st.manualSeed(11);
  const rrc = new data.RandomResizedCrop(4, { antialias: true });
  T.randomResizedCrop.forEach((expected: number[], k: number) => assertClose(rrc.forward(img), expected, 2e-6, `RandomResizedCrop #${k}`));

  st.manualSeed(9);
  const cj = new data.ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 });
  for (const [order, ...factors] of T.colorJitterParams) {
    const p = cj.getParams();
    assert.deepEqual(p.order, order);
    assertClose(p.factors as number[], factors, 0, 'ColorJitter factors');
  }
  st.manualSeed(9);
  T.colorJitter.forEach((expected: number[], k: number) => assertClose(cj.forward(rgb), expected, 2e-6, `ColorJitter #${k}`));

  st.manualSeed(13);
  const rot = new data.RandomRotation(40);
  T.randomRotation.forEach((expected: number[], k: number) => assertClose(rot.forward(img), expected, 0, `RandomRotation #${k}`));
});

test('a Generator option makes a pipeline reproducible without touching the global stream', () => {
  const pipeline = (g: st.Generator) =>
    new data.Compose([
      new data.RandomResizedCrop(8, { generator: g }),
      new data.RandomHorizontalFlip({ generator: g }),
      new data.ColorJitter({ brightness: 0.5, hue: 0.2, generator: g }),
      new data.RandomRotation(20, { generator: g }),
      new data.ToTensor(),
    ]);
  const photo = new Uint8Image(Uint8Array.from({ length: 3 * 12 * 16 }, (_, i) => (i * 37) % 256), 3, 12, 16);
  const before = st.getRngState();
  const a = pipeline(new st.Generator(5));
  const b = pipeline(new st.Generator(5));
  for (let k = 0; k < 5; k++) {
    const [x, y] = [a.forward(photo), b.forward(photo)];
    assert.deepEqual(x.shape, [3, 8, 8]);
    assert.deepEqual(Array.from(x.data()), Array.from(y.data()), `sample ${k}`);
  }
  assert.deepEqual(st.getRngState(), before, 'global generator untouched');
  const c = pipeline(new st.Generator(6));
  assert.notDeepEqual(Array.from(c.forward(photo).data()), Array.from(pipeline(new st.Generator(5)).forward(photo).data()));
});

test('geometric transforms keep uint8 images uint8 and shapes right', () => {
  const photo = new Uint8Image(Uint8Array.from({ length: 3 * 10 * 20 }, (_, i) => i % 256), 3, 10, 20);
  const cases: [string, data.Transform, number[]][] = [
    ['Resize short side', new data.Resize(5), [3, 5, 10]],
    ['Resize exact', new data.Resize([4, 7]), [3, 4, 7]],
    ['Resize nearest', new data.Resize([20, 40], { interpolation: 'nearest' }), [3, 20, 40]],
    ['CenterCrop', new data.CenterCrop(6), [3, 6, 6]],
    ['RandomCrop padded', new data.RandomCrop(12, { padding: 2, generator: new st.Generator(1) }), [3, 12, 12]],
    ['RandomResizedCrop', new data.RandomResizedCrop([8, 9], { generator: new st.Generator(1) }), [3, 8, 9]],
    ['Pad', new data.Pad([1, 2]), [3, 14, 22]],
    ['Grayscale 3', new data.Grayscale({ numOutputChannels: 3 }), [3, 10, 20]],
    ['ColorJitter', new data.ColorJitter({ brightness: 0.3, contrast: 0.3, saturation: 0.3, hue: 0.3, generator: new st.Generator(2) }), [3, 10, 20]],
  ];
  for (const [name, t, shape] of cases) {
    const out = t.forward(photo);
    assert.ok(out instanceof Uint8Image, `${name} returns a Uint8Image`);
    assert.deepEqual(out.shape, shape, name);
  }
  // bilinear on bytes rounds: a 2-pixel ramp upscaled
  const ramp = F.resizeTo(new Uint8Image(Uint8Array.from([0, 255]), 1, 1, 2), 1, 4);
  assert.deepEqual(Array.from(ramp.data), [0, 64, 191, 255]);
});

test('transform errors name the transform and the problem', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['crop too large', () => new data.RandomCrop(9).forward(img), /RandomCrop: required crop size \[9, 9\] is larger than the input image size \[5, 6\]/],
    ['bad size', () => new data.CenterCrop(0), /CenterCrop: size must be a positive integer/],
    ['bad padding', () => new data.RandomCrop(4, { padding: [1, 2, 3] }), /RandomCrop: padding must be/],
    ['reflect too wide', () => F.pad(small, 3, { paddingMode: 'reflect' }), /reflect padding .* must be smaller than the image size 2x3/],
    ['hue range', () => new data.ColorJitter({ hue: 0.7 }), /ColorJitter: hue values should be between \[-0.5,0.5\]/],
    ['negative brightness', () => new data.ColorJitter({ brightness: -1 }), /must be non-negative/],
    ['p out of range', () => new data.RandomHorizontalFlip({ p: 2 }), /p must be in \[0, 1\]/],
    ['colour on 2 channels', () => F.adjustHue(st.zeros([2, 3, 3]), 0.1), /expected an image with 1 or 3 channels, got 2/],
    ['not an image', () => F.hflip([1, 2] as unknown as st.Tensor), /hflip: expected a Uint8Image or a tensor, got an array/],
    ['Compose of junk', () => new data.Compose([new data.ToTensor(), 42 as unknown as data.Transform]), /Compose: transforms\[1\] is not a transform/],
  ];
  for (const [name, fn, re] of cases) assert.throws(fn, re, name);
});

test('Lambda, Compose and the pointwise flag', () => {
  const double = new data.Lambda((x: st.Tensor) => x.mul(2));
  const pipe = new data.Compose([new data.ToTensor(), double, (x: st.Tensor) => x.add(1)]);
  assertClose(pipe.forward(small8), [1, 2, 3, 4, 5, 6].map((v) => Math.fround(v / 255) * 2 + 1), 1e-7, 'pipeline');
  assert.equal(new data.Compose([new data.ToTensor(), new data.Normalize([0.5], [0.5])]).pointwise, true);
  assert.equal(pipe.pointwise, false);
  assert.equal(new data.Compose([new data.RandomCrop(2), new data.ToTensor()]).pointwise, false);
});
