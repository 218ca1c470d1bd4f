/**
 * The filter bench page: load an image (a sample the lab server serves, an
 * upload, or a generated test pattern), run a filter through Strata's conv2d
 * and show the result next to the original.
 */
import '../common/style.css';
import './filter-bench.css';
import * as d3 from 'd3';
import { mountNav } from '../common/nav.js';
import { $, el, checkField, selectField, sliderField } from '../common/dom.js';
import type { Tensor } from '../../src/core.js';
import {
  boxBlur, boxKernel1d, equalizeHistogram, gaborBank, gaussianBlur, gaussianKernel2d, lumaHistogram, normalizeForDisplay,
  parseKernel, rgbaToTensor, sharpen, sharpenKernel, sobel, SOBEL_X, SOBEL_Y, convolve, tensorToRgba, type Kernel,
} from './filters.js';

mountNav('filter-bench');

type FilterId = 'box' | 'gaussian' | 'sharpen' | 'sobel' | 'gabor' | 'histeq' | 'custom';
const FILTERS: { id: FilterId; text: string }[] = [
  { id: 'gaussian', text: 'Gaussian' }, { id: 'box', text: 'Box' }, { id: 'sharpen', text: 'Sharpen' }, { id: 'sobel', text: 'Sobel' },
  { id: 'gabor', text: 'Gabor bank' }, { id: 'histeq', text: 'Histogram eq.' }, { id: 'custom', text: 'Your kernel' },
];
const PRESETS: Record<string, string> = {
  identity: '0 0 0\n0 1 0\n0 0 0',
  box: '1/9 1/9 1/9\n1/9 1/9 1/9\n1/9 1/9 1/9',
  laplacian: '0 1 0\n1 -4 1\n0 1 0',
  emboss: '-2 -1 0\n-1 1 1\n0 1 2',
  outline: '-1 -1 -1\n-1 8 -1\n-1 -1 -1',
  'motion 5×5': '0.2 0 0 0 0\n0 0.2 0 0 0\n0 0 0.2 0 0\n0 0 0 0.2 0\n0 0 0 0 0.2',
};

const p = {
  filter: 'gaussian' as FilterId,
  boxSize: 5,
  sigma: 2,
  amount: 1.5,
  sobelView: 'magnitude' as 'magnitude' | 'gx' | 'gy',
  orientations: 4,
  scales: 2,
  kernelText: PRESETS.emboss,
  normalize: false,
  offset: 0,
};

const original = $('#original') as HTMLCanvasElement;
const filtered = $('#filtered') as HTMLCanvasElement;
let input: Tensor | null = null;
let inputRgba: Uint8ClampedArray | null = null;
let sourceImage: CanvasImageSource | null = null;
let sourceSize: [number, number] = [0, 0];

// ---- image sources ---------------------------------------------------------------------------------
const sampleSelect = $('#sample') as HTMLSelectElement;
async function listSamples(): Promise<void> {
  const options: [string, string][] = [['pattern', 'Test pattern (generated)']];
  try {
    const res = await fetch(new URL('../data/index.json', location.href));
    if (res.ok) {
      const index = (await res.json()) as { photos: string[] };
      for (const ph of index.photos) options.push([ph, ph.replace(/^photos\//, '').replace(/\.\w+$/, '')]);
    }
  } catch {
    /* static hosting: uploads and the test pattern only */
  }
  sampleSelect.replaceChildren(...options.map(([value, text]) => {
    const o = el('option', { textContent: text });
    o.value = value;
    return o;
  }));
  const preferred = ['photos/skimage_astronaut.png', 'photos/skimage_camera.png'].find((v) => options.some(([o]) => o === v));
  const wanted = new URLSearchParams(location.search).get('sample');
  sampleSelect.value = wanted && options.some(([o]) => o === wanted) ? wanted : preferred ?? 'pattern';
  await loadSample(sampleSelect.value);
}
sampleSelect.addEventListener('change', () => void loadSample(sampleSelect.value));

async function loadSample(value: string): Promise<void> {
  document.body.dataset.state = 'loading';
  if (value === 'pattern') {
    const c = testPattern(512);
    setSource(c, c.width, c.height);
    return;
  }
  const img = new Image();
  img.src = new URL(`../data/${value}`, location.href).href;
  await img.decode();
  setSource(img, img.naturalWidth, img.naturalHeight);
}

$('#upload').addEventListener('change', async (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (!file) return;
  const bitmap = await createImageBitmap(file);
  setSource(bitmap, bitmap.width, bitmap.height);
});
$('#work-size').addEventListener('change', () => sourceImage && setSource(sourceImage, ...sourceSize));

/** Rings, stripes and a checkerboard: a synthetic image with edges at every orientation. */
function testPattern(size: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = c.height = size;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(size, size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - size / 2;
      const dy = y - size / 2;
      const r = Math.hypot(dx, dy);
      const rings = 0.5 + 0.5 * Math.cos(r * r / (size * 2.5));
      const checker = ((Math.floor(x / 32) + Math.floor(y / 32)) % 2) * 0.25;
      const v = Math.round(255 * Math.min(1, rings * 0.75 + checker));
      const o = (y * size + x) * 4;
      img.data[o] = v;
      img.data[o + 1] = Math.round(v * (0.6 + 0.4 * (x / size)));
      img.data[o + 2] = Math.round(v * (0.6 + 0.4 * (y / size)));
      img.data[o + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  return c;
}

/** Draw the source at the working size into the "original" canvas; its pixels are the filter's input. */
function setSource(image: CanvasImageSource, width: number, height: number): void {
  sourceImage = image;
  sourceSize = [width, height];
  const longer = Number(($('#work-size') as HTMLSelectElement).value);
  const scale = Math.min(1, longer / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  original.width = w;
  original.height = h;
  const ctx = original.getContext('2d', { willReadFrequently: true })!;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, 0, 0, w, h);
  inputRgba = ctx.getImageData(0, 0, w, h).data;
  input = rgbaToTensor(inputRgba, w, h);
  render();
}

// ---- filter controls ---------------------------------------------------------------------------------
const buttons = $('#filter-buttons');
function renderFilterButtons(): void {
  buttons.replaceChildren(...FILTERS.map((f) => {
    const b = el('button', { className: `btn${f.id === p.filter ? ' selected' : ''}` }, f.text);
    b.type = 'button';
    b.dataset.filter = f.id;
    b.addEventListener('click', () => {
      p.filter = f.id;
      renderFilterButtons();
      renderParams();
      render();
    });
    return b;
  }));
}

function renderParams(): void {
  const host = $('#params');
  const redraw = () => render();
  switch (p.filter) {
    case 'box':
      host.replaceChildren(sliderField('box-size', 'Size', { min: 3, max: 15, step: 2 }, p.boxSize, (v) => { p.boxSize = v; redraw(); }, (v) => `${v}×${v}`).root);
      break;
    case 'gaussian':
      host.replaceChildren(sliderField('sigma', 'σ', { min: 0.5, max: 6, step: 0.5 }, p.sigma, (v) => { p.sigma = v; redraw(); }, (v) => `${v} px`).root);
      break;
    case 'sharpen':
      host.replaceChildren(sliderField('amount', 'Amount', { min: 0.5, max: 4, step: 0.5 }, p.amount, (v) => { p.amount = v; redraw(); }).root);
      break;
    case 'sobel':
      host.replaceChildren(selectField('sobel-view', 'Show', [
        { value: 'magnitude', text: 'Gradient magnitude' }, { value: 'gx', text: '∂/∂x (vertical edges)' }, { value: 'gy', text: '∂/∂y (horizontal edges)' },
      ] as const, p.sobelView, (v) => { p.sobelView = v; redraw(); }).root);
      break;
    case 'gabor':
      host.replaceChildren(
        selectField('gabor-orientations', 'Orientations', [2, 4, 6, 8].map((v) => ({ value: v, text: String(v) })), p.orientations, (v) => { p.orientations = v; redraw(); }).root,
        selectField('gabor-scales', 'Scales (wavelengths 4, 7, 12 px)', [1, 2, 3].map((v) => ({ value: v, text: String(v) })), p.scales, (v) => { p.scales = v; redraw(); }).root,
      );
      break;
    case 'histeq':
      host.replaceChildren(el('p', { className: 'muted small' }, 'Spreads the luma histogram over the full range (colours kept). Histograms below: before (grey) and after (blue).'));
      break;
    case 'custom': {
      const text = el('textarea', { id: 'kernel-text' });
      text.value = p.kernelText;
      text.spellcheck = false;
      const error = el('div', { id: 'kernel-error', className: 'error' });
      const apply = el('button', { id: 'apply-kernel', className: 'btn primary' }, 'Apply');
      apply.type = 'button';
      apply.addEventListener('click', () => { p.kernelText = text.value; redraw(); });
      text.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) apply.click();
      });
      const presets = el('div', { className: 'presets' }, ...Object.entries(PRESETS).map(([name, k]) => {
        const b = el('button', { className: 'btn' }, name);
        b.type = 'button';
        b.addEventListener('click', () => { text.value = p.kernelText = k; redraw(); });
        return b;
      }));
      const norm = checkField('kernel-normalize', 'Divide by the sum of the weights', p.normalize, (v) => { p.normalize = v; redraw(); });
      const offset = checkField('kernel-offset', 'Add 128 (show negative values)', p.offset !== 0, (v) => { p.offset = v ? 128 : 0; redraw(); });
      host.replaceChildren(el('label', { className: 'field' }, '3×3 or 5×5 weights (rows on lines)', text), presets, norm.root, offset.root, apply, error);
      break;
    }
  }
}

// ---- running the filter ---------------------------------------------------------------------------------
function customKernel(): Kernel {
  const k = parseKernel(p.kernelText);
  if (p.normalize) {
    const s = k.data.reduce((a, b) => a + b, 0);
    if (Math.abs(s) > 1e-12) k.data.forEach((v, i) => (k.data[i] = v / s));
  }
  return k;
}

/** Show "computing" first, then filter on the next task (the Gabor bank takes a moment). */
let scheduled = 0;
function render(): void {
  document.body.dataset.state = 'computing';
  $('#timing').textContent = 'Computing…';
  clearTimeout(scheduled);
  scheduled = window.setTimeout(renderNow, 16);
}

function renderNow(): void {
  if (!input || !inputRgba) return;
  const [, , h, w] = input.shape;
  filtered.width = w;
  filtered.height = h;
  const extra = $('#extra');
  extra.replaceChildren();
  const errorEl = document.getElementById('kernel-error');
  if (errorEl) errorEl.textContent = '';
  const t0 = performance.now();
  let out: Uint8ClampedArray;
  let caption = '';
  let kernels: Kernel[] = [];
  try {
    switch (p.filter) {
      case 'box':
        out = tensorToRgba(boxBlur(input, p.boxSize));
        caption = `Box ${p.boxSize}×${p.boxSize}`;
        kernels = [{ kh: p.boxSize, kw: p.boxSize, data: new Float32Array(p.boxSize ** 2).fill(boxKernel1d(p.boxSize).data[0] ** 2) }];
        break;
      case 'gaussian': {
        out = tensorToRgba(gaussianBlur(input, p.sigma));
        const k = gaussianKernel2d(p.sigma);
        caption = `Gaussian σ = ${p.sigma} (${k.kh}×${k.kw}, separable)`;
        kernels = [k];
        break;
      }
      case 'sharpen':
        out = tensorToRgba(sharpen(input, p.amount));
        caption = `Sharpen ×${p.amount}`;
        kernels = [sharpenKernel(p.amount)];
        break;
      case 'sobel': {
        const s = sobel(input);
        const shown = p.sobelView === 'magnitude' ? normalizeForDisplay(s.magnitude) : normalizeForDisplay(s[p.sobelView].abs());
        out = tensorToRgba(shown);
        caption = p.sobelView === 'magnitude' ? 'Sobel gradient magnitude' : `Sobel |${p.sobelView}|`;
        kernels = p.sobelView === 'gy' ? [SOBEL_Y] : p.sobelView === 'gx' ? [SOBEL_X] : [SOBEL_X, SOBEL_Y];
        break;
      }
      case 'gabor': {
        const lambdas = [4, 7, 12].slice(0, p.scales);
        const bank = gaborBank(input, p.orientations, lambdas);
        const max = Math.max(...bank.map((b) => b.response.amax().item()));
        let combined = bank[0].response;
        for (const b of bank.slice(1)) combined = combined.maximum(b.response);
        out = tensorToRgba(normalizeForDisplay(combined));
        caption = `Gabor bank: max over ${p.orientations} orientations × ${p.scales} scale${p.scales > 1 ? 's' : ''}`;
        kernels = bank.map((b) => b.kernel);
        const grid = el('div', { className: 'gabor-grid', id: 'gabor-grid' });
        grid.style.gridTemplateColumns = `repeat(${p.orientations}, minmax(0, 1fr))`;
        for (const b of bank) {
          const c = el('canvas');
          c.width = w;
          c.height = h;
          c.getContext('2d')!.putImageData(new ImageData(tensorToRgba(normalizeForDisplay(b.response, max)) as Uint8ClampedArray<ArrayBuffer>, w, h), 0, 0);
          grid.append(el('figure', {}, c, el('figcaption', {}, kernelCanvas(b.kernel, 20), `θ = ${Math.round((b.theta * 180) / Math.PI)}°, λ = ${b.lambda}px`)));
        }
        extra.append(el('h3', {}, 'Responses (|Gabor ∗ luma|), one column per orientation, one row per scale'), grid);
        break;
      }
      case 'histeq': {
        out = equalizeHistogram(inputRgba);
        caption = 'Histogram equalisation of the luma';
        extra.append(el('h3', {}, 'Luma histograms'), histogramChart(lumaHistogram(inputRgba), lumaHistogram(out)));
        break;
      }
      case 'custom': {
        const k = customKernel();
        let res = convolve(input, k);
        if (p.offset) res = res.add(p.offset);
        out = tensorToRgba(res);
        caption = `Your ${k.kh}×${k.kw} kernel`;
        kernels = [k];
        break;
      }
    }
  } catch (e) {
    const target = document.getElementById('kernel-error');
    if (target) target.textContent = (e as Error).message;
    document.body.dataset.state = 'error';
    return;
  }
  const ms = performance.now() - t0;
  filtered.getContext('2d')!.putImageData(new ImageData(out as Uint8ClampedArray<ArrayBuffer>, w, h), 0, 0);
  $('#filtered-caption').textContent = caption;
  $('#timing').textContent = `${w}×${h} px · ${p.filter === 'histeq' ? 'JS' : 'Strata conv2d'}: ${ms.toFixed(0)} ms`;
  const kv = $('#kernel-view');
  kv.replaceChildren(...kernels.slice(0, 24).map((k) => kernelCanvas(k, Math.min(120, Math.max(48, k.kw * 8)))));
  if (kernels.length === 0) kv.append(el('span', { className: 'muted small' }, 'None: a pointwise mapping of the luma.'));
  if (kernels.length === 1 && kernels[0].kw <= 5) kv.append(kernelTable(kernels[0]));
  document.body.dataset.filter = p.filter;
  document.body.dataset.sigma = String(p.sigma);
  document.body.dataset.state = 'ready';
}

function kernelCanvas(k: Kernel, size: number): HTMLCanvasElement {
  const c = el('canvas', { className: 'pixelated' });
  c.width = k.kw;
  c.height = k.kh;
  c.style.width = `${size}px`;
  c.style.height = `${(size * k.kh) / k.kw}px`;
  const ctx = c.getContext('2d')!;
  const img = ctx.createImageData(k.kw, k.kh);
  const m = Math.max(1e-12, ...Array.from(k.data, Math.abs));
  k.data.forEach((v, i) => {
    const col = d3.rgb(d3.interpolateRdBu(0.5 + 0.5 * (v / m)));
    img.data.set([col.r, col.g, col.b, 255], i * 4);
  });
  ctx.putImageData(img, 0, 0);
  return c;
}

function kernelTable(k: Kernel): HTMLTableElement {
  const t = el('table');
  for (let r = 0; r < k.kh; r++) {
    const tr = t.insertRow();
    for (let c = 0; c < k.kw; c++) tr.insertCell().textContent = fmt(k.data[r * k.kw + c]);
  }
  return t;
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

function histogramChart(before: number[], after: number[]): SVGSVGElement {
  const width = 520;
  const height = 120;
  const x = d3.scaleLinear().domain([0, 255]).range([30, width - 6]);
  // A few huge bins (a black background) would flatten the rest: cap the scale at the 99th percentile.
  const top = (d3.quantile([...before, ...after].sort((a, b) => a - b), 0.99) ?? 1) * 1.15;
  const y = d3.scaleLinear().domain([0, Math.max(1, top)]).range([height - 18, 4]).clamp(true);
  const svg = d3.create('svg').attr('viewBox', `0 0 ${width} ${height}`).attr('class', 'chart').style('max-width', `${width}px`);
  const area = d3.area<number>().x((_, i) => x(i)).y0(height - 18).y1((d) => y(d)).curve(d3.curveStep);
  svg.append('path').attr('d', area(before)).attr('fill', '#bbb').attr('opacity', 0.8);
  svg.append('path').attr('d', area(after)).attr('fill', '#0877bd').attr('opacity', 0.5);
  svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${height - 18})`).call(d3.axisBottom(x).ticks(8));
  return svg.node()!;
}

renderFilterButtons();
renderParams();
void listSamples();
