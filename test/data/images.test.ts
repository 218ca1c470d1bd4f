import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as st from '../../src/index.js';
import * as data from '../../src/data/index.js';
import { Uint8Image } from '../../src/data/index.js';
import { fixtures, missing, realDataRoot } from './helpers.js';

const pattern = (c: number, h: number, w: number, seed = 0) =>
  new Uint8Image(Uint8Array.from({ length: c * h * w }, (_, i) => (i * 31 + seed * 17) % 256), c, h, w);

test('PNG round trip: saveImagePng/encodePng then readImage give the same bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-png-'));
  const cases: [string, Uint8Image, data.ImageReadMode, number[]][] = [
    ['gray', pattern(1, 5, 7), 'unchanged', [1, 5, 7]],
    ['gray + alpha', pattern(2, 4, 3), 'unchanged', [2, 4, 3]],
    ['rgb', pattern(3, 6, 4), 'unchanged', [3, 6, 4]],
    ['rgba', pattern(4, 3, 3), 'unchanged', [4, 3, 3]],
  ];
  for (const [name, img, mode, shape] of cases) {
    const path = join(dir, `${name}.png`);
    data.saveImagePng(path, img);
    const back = data.readImage(path, { mode });
    assert.deepEqual(back.shape, shape, name);
    assert.deepEqual(Array.from(back.data), Array.from(img.data), name);
  }
  const gray = pattern(1, 2, 2);
  data.saveImagePng(join(dir, 'g.png'), gray);
  const asRgb = data.readImage(join(dir, 'g.png'), { mode: 'rgb' });
  assert.deepEqual(Array.from(asRgb.data), [...gray.data, ...gray.data, ...gray.data], 'gray replicated to RGB');
  const rgb = new Uint8Image(Uint8Array.from([255, 0, 0, 255, 0, 0]), 3, 1, 2);
  data.saveImagePng(join(dir, 'rgb.png'), rgb);
  assert.deepEqual(Array.from(data.readImage(join(dir, 'rgb.png'), { mode: 'gray' }).data), [76, 150], "PIL's L of red and green");
  assert.deepEqual(Array.from(data.readImage(join(dir, 'rgb.png'), { mode: 'rgba' }).data.subarray(6)), [255, 255], 'opaque alpha added');
});

test('saveImagePng of tensors and makeGrid follow torchvision', () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-grid-'));
  data.saveImagePng(join(dir, 't.png'), st.tensor([[[0, 0.5, 1, 1.5, -1, 0.499]]]));
  assert.deepEqual(Array.from(data.readImage(join(dir, 't.png')).data), [0, 128, 255, 255, 0, 127], 'x·255 + 0.5 truncated, clamped');

  const batch = st.rand([10, 1, 4, 5], { generator: new st.Generator(0) });
  const grid = data.makeGrid(batch, { nrow: 4, padding: 2 });
  assert.deepEqual(grid.shape, [3, 3 * 6 + 2, 4 * 7 + 2]);
  const g = grid.data();
  const at = (c: number, y: number, x: number) => g[(c * 20 + y) * 30 + x];
  assert.equal(at(0, 0, 0), 0, 'padding');
  assert.equal(at(1, 2 + 6, 2 + 7 * 1), batch.data()[5 * 20], 'image 5 starts at row 1, column 1, every channel');
  assert.equal(at(2, 2 + 6 * 2 + 3, 2 + 7 + 4), batch.data()[9 * 20 + 3 * 5 + 4], 'image 9, last pixel');
  assert.equal(at(0, 2 + 12, 2 + 14), 0, 'empty cell stays padValue');
  assert.deepEqual(data.makeGrid([pattern(3, 2, 2), pattern(3, 2, 2, 1)], { padding: 0 }).shape, [3, 2, 4]);
  assert.deepEqual(data.makeGrid(st.ones([1, 1, 3, 3])).shape, [3, 3, 3], 'one image: no padding');
  const norm = data.makeGrid(st.tensor([[[[2, 4]]], [[[6, 10]]]]), { normalize: true, padding: 0 });
  assert.deepEqual(Array.from(norm.data().subarray(0, 4)), [0, 0.25, 0.5, 1]);
  data.saveImagePng(join(dir, 'grid.png'), batch, { nrow: 4 });
  assert.deepEqual(data.readImage(join(dir, 'grid.png')).shape, [3, 20, 30]);
  assert.throws(() => data.makeGrid([st.ones([1, 2, 2]), st.ones([1, 3, 3])]), /makeGrid: all images must have the shape of image 0 \[1,2,2\], image 1 has \[1,3,3\]/);
});

/** root/<class>/... with PNG files; returns root. */
function folderTree(files: Record<string, Uint8Image | string>): string {
  const root = mkdtempSync(join(tmpdir(), 'strata-folder-'));
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    if (typeof content === 'string') writeFileSync(path, content);
    else data.saveImagePng(path, content);
  }
  return root;
}

test('ImageFolder: sorted classes, samples in torchvision order, decoded RGB CHW images', () => {
  const root = folderTree({
    'dog/b.png': pattern(3, 4, 6, 1),
    'dog/a.PNG': pattern(1, 4, 6, 2),
    'dog/notes.txt': 'not an image',
    'cat/z.png': pattern(3, 5, 5, 3),
    'cat/sub/y.png': pattern(3, 5, 5, 4),
    'bird/x.png': pattern(4, 3, 3, 5),
  });
  const ds = new data.ImageFolder(root);
  assert.deepEqual(ds.classes, ['bird', 'cat', 'dog']);
  assert.deepEqual(ds.classToIdx, { bird: 0, cat: 1, dog: 2 });
  assert.deepEqual(ds.samples.map(([p, k]) => [p.slice(root.length + 1), k]), [
    ['bird/x.png', 0], ['cat/z.png', 1], ['cat/sub/y.png', 1], ['dog/a.PNG', 2], ['dog/b.png', 2],
  ]);
  assert.deepEqual(ds.targets, [0, 1, 1, 2, 2]);
  const [img, label] = ds.get(3);
  assert.equal(label, 2);
  assert.deepEqual(img.shape, [3, 4, 6], 'gray file converted to RGB');
  assert.deepEqual(Array.from(ds.get(0)[0].data), Array.from(pattern(4, 3, 3, 5).data.subarray(0, 27)), 'alpha dropped');
  const paths = new data.ImageFolder(root, { loader: (p) => p, targetTransform: (y: number) => ds.classes[y] });
  assert.deepEqual(paths.get(4), [join(root, 'dog', 'b.png'), 'dog'], 'custom loader and target transform');
  const gray = new data.ImageFolder(root, { mode: 'gray', isValidFile: (p) => p.endsWith('z.png') || p.endsWith('x.png') || p.endsWith('b.png') });
  assert.deepEqual(gray.get(0)[0].shape, [1, 3, 3]);
});

test('ImageFolder errors: no classes, empty class, unreadable image', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['missing folder', () => new data.ImageFolder('/no/such/folder'), /ImageFolder: cannot read the folder \/no\/such\/folder/],
    ['no class folders', () => new data.ImageFolder(folderTree({ 'a.png': pattern(1, 2, 2) })), /couldn't find any class folder in/],
    ['empty class', () => new data.ImageFolder(folderTree({ 'a/x.png': pattern(1, 2, 2), 'b/readme.txt': 'x' })), /found no files with extensions .* for the classes b in/],
    ['both filters', () => new data.ImageFolder(folderTree({ 'a/x.png': pattern(1, 2, 2) }), { extensions: ['.png'], isValidFile: () => true }), /either extensions or isValidFile/],
  ];
  for (const [name, fn, re] of cases) assert.throws(fn, re, name);
  const root = folderTree({ 'a/good.png': pattern(3, 2, 2), 'a/bad.png': 'this is not a PNG', 'b/cut.png': pattern(3, 2, 2) });
  const ds = new data.ImageFolder(root);
  assert.throws(() => ds.get(0), /readImage: cannot decode .*a\/bad.png: .*unsupported image format/);
  assert.doesNotThrow(() => ds.get(1));
  return assert.rejects(ds.load(0), /readImageAsync: cannot decode .*a\/bad.png/);
});

test('ImageFolder through the DataLoader: sync and async (parallel decoding) give the same batches', async () => {
  const files: Record<string, Uint8Image> = {};
  for (let i = 0; i < 12; i++) files[`${['a', 'b', 'c'][i % 3]}/${i}.png`] = pattern(3, 6 + (i % 4), 8 + (i % 3), i);
  const root = folderTree(files);
  const transform = new data.Compose([new data.RandomResizedCrop(4), new data.RandomHorizontalFlip(), new data.ToTensor()]);
  const run = async (mode: 'sync' | 'async') => {
    st.manualSeed(3);
    const loader = new data.DataLoader(new data.ImageFolder(root, { transform }), { batchSize: 5, shuffle: true });
    const out: number[][] = [];
    if (mode === 'sync') for (const [x, y] of loader) out.push([...x.data(), ...y.data()]);
    else for await (const [x, y] of loader) out.push([...x.data(), ...y.data()]);
    return out;
  };
  const a = await run('sync');
  const b = await run('async');
  assert.equal(a.length, 3);
  assert.deepEqual(b, a);
  const sub = data.randomSplit(new data.ImageFolder(root, { transform }), [8, 4], { generator: new st.Generator(1) })[1];
  assert.ok(sub.load && sub.getLoaded, 'a Subset of an ImageFolder keeps asynchronous loading');
});

test('real photographs: PNG and JPEG decode; gray mode equals PIL convert("L"); resize close to PIL', { skip: missing('photos') }, () => {
  const dir = join(realDataRoot()!, 'photos');
  const f = fixtures.photo;
  const rgb = data.readImage(join(dir, f.file), { mode: 'rgb' });
  assert.deepEqual(rgb.shape, [f.shape[2], f.shape[0], f.shape[1]]);
  assert.equal(rgb.data.reduce((a: number, b: number) => a + b, 0), f.rgbSum);
  const gray = data.readImage(join(dir, f.file), { mode: 'gray' });
  assert.equal(gray.data.reduce((a: number, b: number) => a + b, 0), f.graySum);
  assert.deepEqual([...gray.data.subarray(0, 8), ...gray.data.subarray(gray.width, gray.width + 8)], f.gray00);
  const small = new data.Resize([43, 64]).forward(rgb);
  let worst = 0;
  small.data.forEach((v: number, i: number) => (worst = Math.max(worst, Math.abs(v - f.resized[i]))));
  assert.ok(worst <= 2, `antialiased resize within ${worst} of PIL's bilinear`);
  const jpeg = data.readImageTensor(join(dir, 'skimage_rocket.jpg'));
  assert.deepEqual(jpeg.shape, [3, 427, 640]);
  assert.equal(data.readImage(join(dir, 'skimage_camera.png')).channels, 1, 'unchanged keeps a gray file gray');
});
