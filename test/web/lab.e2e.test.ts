// End-to-end tests of Strata Lab: the pages built by Vite, served by `runLab`, driven in Debian's
// Chromium with playwright-core. Skipped (with the reason) when /usr/bin/chromium is absent.
// Screenshots go to test-output/lab-*.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { DATA_DIR, openPage, screenshot, skipReason, startLab, type Lab } from './e2e-helpers.js';
import { defaultState, parseState, serializeState, type PlaygroundState } from '../../web/playground/state.js';
import { gaussianKernel2d, rgbaToTensor } from '../../web/filter-bench/filters.js';
import { fromTypedArray, noGrad } from '../../src/core.js';
import * as F from '../../src/nn/functional.js';

const reason = skipReason();
if (reason) console.log(`# ${reason}`);
const hasMnist = existsSync(join(DATA_DIR, 'mnist', 't10k-images-idx3-ubyte.gz')) || existsSync(join(DATA_DIR, 'mnist', 't10k-images-idx3-ubyte'));

async function attr(page: Page, selector: string, name: string): Promise<string | null> {
  return page.locator(selector).first().getAttribute(name);
}

/** Set a range input's value as a user drag would (input event). */
async function setRange(page: Page, selector: string, value: number): Promise<void> {
  await page.locator(selector).evaluate((el, v) => {
    const input = el as HTMLInputElement;
    input.value = String(v);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }, value);
}

async function canvasPixels(page: Page, selector: string): Promise<{ width: number; height: number; data: number[] }> {
  return page.locator(selector).evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    return { width: c.width, height: c.height, data: Array.from(d) };
  });
}

describe('Strata Lab in Chromium', { skip: reason ?? false, timeout: 600_000 }, () => {
  let lab: Lab;
  before(async () => {
    lab = await startLab();
  }, { timeout: 240_000 });
  after(async () => {
    await lab?.close();
  });

  test('server: pages, /data/index.json, 404s and no escape from the data folder', async () => {
    const base = lab.server.url;
    for (const path of ['', 'playground/', 'cnn-lab/', 'filter-bench/']) {
      const res = await fetch(new URL(path, base));
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    }
    const index = (await (await fetch(new URL('data/index.json', base))).json()) as { mnist: string[]; photos: string[] };
    assert.ok(Array.isArray(index.mnist) && Array.isArray(index.photos));
    if (hasMnist) {
      assert.equal(index.mnist.length, 4);
      const head = await fetch(new URL(`data/${index.mnist[3]}`, base), { method: 'HEAD' });
      assert.equal(head.status, 200);
    }
    assert.equal((await fetch(new URL('no/such/page', base))).status, 404);
    for (const evil of ['data/..%2f..%2fpackage.json', 'data/%2e%2e/%2e%2e/etc/passwd', '..%2f..%2fetc%2fpasswd']) {
      assert.equal((await fetch(new URL(evil, base))).status, 404, evil);
    }
    const { page, errors } = await openPage(lab, '');
    await screenshot(page, 'lab-index');
    await page.close();
    assert.deepEqual(errors, []);
  });

  test('playground: the circle with default settings reaches test loss < 0.1 within 300 epochs', async () => {
    const { page, errors } = await openPage(lab, 'playground/');
    await page.waitForSelector('#loss-test[data-value]');
    assert.equal(await attr(page, '#network', 'data-shape'), '2,4,2,1');
    assert.equal(await attr(page, 'body', 'data-dataset'), 'circle');
    await page.click('#play-pause-button');
    await page.waitForFunction(() => {
      const loss = Number(document.querySelector<HTMLElement>('#loss-test')!.dataset.value);
      const epoch = Number(document.querySelector<HTMLElement>('#epoch')!.dataset.value);
      return loss < 0.1 || epoch >= 300;
    }, undefined, { timeout: 120_000, polling: 100 });
    await page.click('#play-pause-button');
    const loss = Number(await attr(page, '#loss-test', 'data-value'));
    const epoch = Number(await attr(page, '#epoch', 'data-value'));
    assert.ok(loss < 0.1, `test loss ${loss} after ${epoch} epochs`);
    assert.ok(epoch <= 300, `took ${epoch} epochs`);
    // Hovering a neuron shows its enlarged heat map.
    await page.hover('.node.hidden-node >> nth=0');
    await page.waitForSelector('.hovercard:not([hidden])');
    await screenshot(page, 'lab-playground');
    await page.close();
    assert.deepEqual(errors, []);
  });

  test('playground: dataset, features, layers, neurons and weights change through the UI', async () => {
    const { page, errors } = await openPage(lab, 'playground/');
    await page.waitForSelector('#loss-test[data-value]');
    const hash = async () => parseState(await page.evaluate(() => location.hash));
    const shape = () => attr(page, '#network', 'data-shape');

    await page.click('button.add-layer');
    assert.equal(await shape(), '2,4,2,2,1');
    assert.deepEqual((await hash()).networkShape, [4, 2, 2]);
    assert.equal(await page.locator('.node.hidden-node').count(), 8);

    await page.click('button.add-neuron >> nth=0');
    assert.equal(await shape(), '2,5,2,2,1');
    await page.click('button.remove-neuron >> nth=1');
    assert.equal(await shape(), '2,5,1,2,1');
    await page.click('button.remove-layer');
    assert.equal(await shape(), '2,5,1,1');
    assert.deepEqual((await hash()).networkShape, [5, 1]);

    await page.click('.node.input[data-feature=xSquared]');
    await page.click('.node.input[data-feature=x]');
    assert.equal(await shape(), '2,5,1,1');
    assert.deepEqual([(await hash()).features.xSquared, (await hash()).features.x], [true, false]);
    assert.equal(await page.locator('.node.input.inactive').count(), 5);
    // Links: 2·5 + 5·1 + 1·1.
    assert.equal(await page.locator('path.link').count(), 16);

    await page.click('button.dataset[data-dataset=spiral]');
    assert.equal(await attr(page, 'body', 'data-dataset'), 'spiral');
    assert.equal((await hash()).dataset, 'spiral');
    await page.selectOption('#problem', 'regression');
    assert.equal(await attr(page, 'body', 'data-dataset'), 'reg-plane');
    assert.equal(await page.locator('button.dataset').count(), 2);
    await page.click('button.dataset[data-dataset=reg-gauss]');
    assert.equal(await attr(page, 'body', 'data-dataset'), 'reg-gauss');
    await page.selectOption('#problem', 'classification');

    await page.selectOption('#activation', 'relu');
    await page.selectOption('#optimizer', 'adam');
    await page.selectOption('#dropout', '0.1');
    await page.check('#batch-norm');
    await setRange(page, '#noise', 20);
    await page.check('#show-test-data');
    const s = await hash();
    assert.deepEqual([s.activation, s.optimizer, s.dropout, s.batchNorm, s.noise, s.showTestData], ['relu', 'adam', 0.1, true, 20, true]);
    assert.equal(await attr(page, '#heatmap', 'data-points'), '500', 'train and test points shown');

    // Edit a weight by clicking its link.
    await page.locator('path.link-hit[data-link="0-0-0"]').dispatchEvent('click', { clientX: 400, clientY: 300 });
    await page.waitForSelector('.weight-editor:not([hidden]) #weight-input');
    await page.fill('#weight-input', '2.5');
    await page.press('#weight-input', 'Enter');
    assert.match((await page.locator('path.link-hit[data-link="0-0-0"] title').textContent()) ?? '', /Weight 2\.500/);

    // A few training steps with every extra on, then the gradient-flow chart has one line per layer.
    for (let i = 0; i < 3; i++) await page.click('#next-step-button');
    assert.equal(await attr(page, '#epoch', 'data-value'), '3');
    assert.equal(await page.locator('#grad-chart path.series').count(), 3);
    await screenshot(page, 'lab-playground-changed');
    await page.close();
    assert.deepEqual(errors, []);
  });

  test('playground: the URL hash round-trips the whole state', async () => {
    const state: PlaygroundState = {
      ...defaultState(),
      dataset: 'xor', noise: 15, percTrainData: 70, batchSize: 4, seed: '0.4242', networkShape: [6, 3, 2],
      learningRate: 0.1, activation: 'sigmoid', regularization: 'L2', regularizationRate: 0.003, optimizer: 'momentum',
      batchNorm: false, dropout: 0.2, showTestData: true, discretize: true,
      features: { x: true, y: true, xSquared: false, ySquared: false, xTimesY: true, sinX: true, sinY: false },
    };
    const { page, errors } = await openPage(lab, `playground/#${serializeState(state)}`);
    await page.waitForSelector('#loss-test[data-value]');
    assert.deepEqual(await page.evaluate(() => location.hash).then(parseState), state);
    assert.equal(await attr(page, '#network', 'data-shape'), '4,6,3,2,1');
    assert.equal(await page.locator('#activation').inputValue(), 'sigmoid');
    assert.equal(await page.locator('#learning-rate').inputValue(), '0.1');
    assert.equal(await page.locator('#regularization').inputValue(), 'L2');
    assert.equal(await page.locator('#optimizer').inputValue(), 'momentum');
    assert.equal(await page.locator('#dropout').inputValue(), '0.2');
    assert.equal(await page.locator('#noise').inputValue(), '15');
    assert.equal(await page.locator('#perc-train').inputValue(), '70');
    assert.equal(await page.locator('#batch-size').inputValue(), '4');
    assert.ok(await page.isChecked('#discretize'));
    assert.ok(await page.isChecked('#show-test-data'));
    assert.equal(await attr(page, 'body', 'data-dataset'), 'xor');
    // Navigating to another hash (a pasted link) applies it.
    const other = { ...defaultState(), dataset: 'gauss' as const, networkShape: [3] };
    await page.evaluate((h) => (location.hash = h), serializeState(other));
    await page.waitForFunction(() => document.querySelector('#network')?.getAttribute('data-shape') === '2,3,1');
    assert.equal(await attr(page, 'body', 'data-dataset'), 'gauss');
    assert.deepEqual(await page.evaluate(() => location.hash).then(parseState), other);
    await page.close();
    assert.deepEqual(errors, []);
  });

  test('CNN lab: trains LeNet-5 on a small MNIST slice and shows filters, feature maps and analyses', { skip: hasMnist ? false : `no MNIST under ${DATA_DIR}` }, async () => {
    const { page, errors } = await openPage(lab, 'cnn-lab/');
    await page.waitForSelector('#data-status[data-state=loaded]', { timeout: 120_000 });
    await page.selectOption('#train-size', '1000');
    await page.selectOption('#test-size', '500');
    await page.selectOption('#batch-size', '32');
    await page.click('#train-button');
    await page.waitForSelector('#status[data-state=running]');
    // The page stays responsive while the worker trains.
    const t0 = Date.now();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
    assert.ok(Date.now() - t0 < 2000, 'a frame is painted during training');
    await page.waitForSelector('#status[data-state=done]', { timeout: 300_000 });
    const acc = Number(await attr(page, '#test-accuracy', 'data-value'));
    assert.ok(acc > 0.3, `test accuracy ${acc} after 1000 images`);
    assert.equal(await page.locator('#filters1 canvas').count(), 6);
    assert.equal(await page.locator('#filters2 canvas').count(), 96);
    assert.equal(await page.locator('#confusion-table tbody tr').count(), 10);
    await page.waitForSelector('#feature-maps .map-row');
    assert.equal(await page.locator('#feature-maps .map-row').count(), 5);
    assert.equal(await page.locator('#feature-maps .map-row:nth-child(2) canvas').count(), 6, 'conv1 maps');
    assert.equal(await page.locator('#feature-maps .map-row:nth-child(4) canvas').count(), 16, 'conv2 maps');
    // Feature maps are not blank.
    const fmap = await canvasPixels(page, '#feature-maps .map-row:nth-child(2) canvas >> nth=0');
    assert.ok(new Set(fmap.data.filter((_, i) => i % 4 === 0)).size > 3, 'conv1 map has structure');
    await page.click('#next-image');
    await page.waitForSelector('#feature-maps[data-index="1"]');
    await page.selectOption('#top-layer', 'conv2');
    await page.click('#top-channels button >> nth=3');
    await page.waitForSelector('#top-images[data-count="12"]');
    assert.ok((await page.locator('#mistakes .mistake').count()) > 0);
    // Draw a vertical stroke (a "1") and get five probabilities.
    const box = (await page.locator('#draw-pad').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.15);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.53, box.y + box.height * 0.85, { steps: 12 });
    await page.mouse.up();
    await page.waitForSelector('#predictions .prob-row');
    const probs = await page.locator('#predictions .prob-row').evaluateAll((rows) => rows.map((r) => Number((r as HTMLElement).dataset.prob)));
    assert.equal(probs.length, 5);
    assert.ok(probs.every((p, i) => p >= 0 && p <= 1 && (i === 0 || p <= probs[i - 1])));
    await screenshot(page, 'lab-cnn');
    await page.close();
    assert.deepEqual(errors, []);
  });

  test('filter bench: the Gaussian output equals Strata conv2d with the 2-D kernel on the same pixels', async () => {
    const { page, errors } = await openPage(lab, 'filter-bench/');
    await page.waitForSelector('body[data-state=ready][data-filter=gaussian]', { timeout: 60_000 });
    await setRange(page, '#sigma', 1.5);
    await page.waitForSelector('body[data-state=ready][data-sigma="1.5"]');
    const input = await canvasPixels(page, '#original');
    const output = await canvasPixels(page, '#filtered');
    assert.deepEqual([output.width, output.height], [input.width, input.height]);
    // Reference: one conv2d with the full (non-separable) kernel, edges replicated.
    const k = gaussianKernel2d(1.5);
    const r = (k.kh - 1) / 2;
    const expected = noGrad(() => {
      const x = F.pad(rgbaToTensor(input.data, input.width, input.height), [r, r, r, r], { mode: 'replicate' });
      const w = fromTypedArray(Float32Array.from({ length: 3 * k.data.length }, (_, i) => k.data[i % k.data.length]), [3, 1, k.kh, k.kw]);
      return F.conv2d(x, w, null, { groups: 3 }).data();
    });
    const n = input.width * input.height;
    let maxDiff = 0;
    let changed = 0;
    for (let p = 0; p < n; p++) {
      for (let c = 0; c < 3; c++) {
        const want = Math.min(255, Math.max(0, Math.round(expected[c * n + p])));
        maxDiff = Math.max(maxDiff, Math.abs(output.data[p * 4 + c] - want));
        if (output.data[p * 4 + c] !== input.data[p * 4 + c]) changed++;
      }
    }
    assert.ok(maxDiff <= 1, `max pixel difference ${maxDiff}`);
    assert.ok(changed > n * 0.2, 'the blur changed the image');
    await screenshot(page, 'lab-filter-gaussian');
    // Every other filter renders without errors.
    for (const f of ['box', 'sharpen', 'sobel', 'histeq', 'custom', 'gabor']) {
      await page.click(`button[data-filter=${f}]`);
      await page.waitForSelector(`body[data-state=ready][data-filter=${f}]`, { timeout: 60_000 });
    }
    assert.equal(await page.locator('#gabor-grid canvas').count() >= 8, true);
    await screenshot(page, 'lab-filter-gabor');
    // Another sample, and an uploaded photo (768×512 → 256×171 at the default working size).
    const upload = join(DATA_DIR, 'photos', 'kodak_kodim01.png');
    if (existsSync(upload)) {
      await page.selectOption('#sample', 'photos/skimage_camera.png');
      await page.waitForSelector('body[data-state=ready]');
      await page.setInputFiles('#upload', upload);
      await page.waitForFunction(() => (document.querySelector('#original') as HTMLCanvasElement).height === 171);
      await page.waitForSelector('body[data-state=ready]');
      assert.deepEqual(await page.locator('#filtered').evaluate((c) => [(c as HTMLCanvasElement).width, (c as HTMLCanvasElement).height]), [256, 171]);
    }
    await page.click('button[data-filter=custom]');
    await page.fill('#kernel-text', '1 2 3\n4 5');
    await page.click('#apply-kernel');
    await page.waitForSelector('body[data-state=error]');
    assert.match((await page.textContent('#kernel-error')) ?? '', /expected 9 \(3×3\) or 25 \(5×5\) numbers/);
    await page.close();
    assert.deepEqual(errors, []);
  });
});
