/**
 * The CNN lab page: finds MNIST (from the lab server, or files the user
 * picks), drives the training worker and shows what the network learns.
 */
import '../common/style.css';
import './cnn-lab.css';
import { mountNav } from '../common/nav.js';
import { $, el, selectField } from '../common/dom.js';
import { LineChart } from '../common/line-chart.js';
import type { ConvLayer, Evaluation, OptimizerName, TopActivation } from './lenet.js';
import type { FeatureMaps, FromWorker, ToWorker, TrainConfig } from './protocol.js';
import { renderConfusion } from './ui/confusion.js';
import { DrawPad } from './ui/draw-pad.js';
import { imageCanvas, paintDigit, paintFilter, paintMap, probabilityBars } from './ui/render.js';

mountNav('cnn-lab');

const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
const send = (m: ToWorker, transfer: Transferable[] = []) => worker.postMessage(m, transfer);

const config: TrainConfig = { trainSize: 10000, testSize: 1000, epochs: 1, batchSize: 64, lr: 0.002, optimizer: 'adam', evalsPerEpoch: 4 };
const LRS: Record<OptimizerName, number[]> = { adam: [0.0005, 0.001, 0.002, 0.005], sgd: [0.005, 0.01, 0.02, 0.05, 0.1] };

let testImages: Uint8Array | null = null;
let testLabels: Uint8Array | null = null;
let testCount = 0;
let running = false;
let done = false;
let currentImage = 0;
let topLayer: ConvLayer = 'conv1';
let topChannel = 0;
const lossSteps: number[] = [];
const lossValues: number[] = [];
const accValues: number[] = [];
const evalSeen: number[] = [];
const evalLoss: number[] = [];
const evalAcc: number[] = [];
let emaLoss = NaN;
let emaAcc = NaN;

// ---- training controls -----------------------------------------------------------------------
const controls = $('#train-controls');
const opt = (values: number[], fmt: (v: number) => string = String) => values.map((v) => ({ value: v, text: fmt(v) }));
const lrField = selectField('lr', 'Learning rate', opt(LRS.adam), config.lr, () => undefined);
lrField.select.addEventListener('change', () => (config.lr = Number(lrField.select.value)));
controls.append(
  selectField('train-size', 'Training images', opt([1000, 2000, 5000, 10000, 20000, 60000], (v) => v.toLocaleString('en')), config.trainSize, (v) => (config.trainSize = v)).root,
  selectField('test-size', 'Test images', opt([500, 1000, 2000, 5000, 10000], (v) => v.toLocaleString('en')), config.testSize, (v) => (config.testSize = v)).root,
  selectField('epochs', 'Epochs', opt([1, 2, 3, 5, 10]), config.epochs, (v) => (config.epochs = v)).root,
  selectField('batch-size', 'Batch size', opt([16, 32, 64, 128]), config.batchSize, (v) => (config.batchSize = v)).root,
  selectField<OptimizerName>('optimizer', 'Optimizer', [{ value: 'adam', text: 'Adam' }, { value: 'sgd', text: 'SGD + momentum' }], config.optimizer, (v) => {
    config.optimizer = v;
    config.lr = v === 'adam' ? 0.002 : 0.02;
    lrField.select.replaceChildren(...LRS[v].map((x) => el('option', { textContent: String(x) })));
    LRS[v].forEach((x, i) => ((lrField.select.options[i] as HTMLOptionElement).value = String(x)));
    lrField.select.selectedIndex = LRS[v].indexOf(config.lr);
  }).root,
  lrField.root,
);

const trainButton = $('#train-button') as HTMLButtonElement;
const resetButton = $('#reset-button') as HTMLButtonElement;
trainButton.addEventListener('click', () => {
  if (running) send({ type: 'pause' });
  else {
    if (done) reset();
    send({ type: 'train', config: { ...config } });
  }
});
resetButton.addEventListener('click', () => reset());

function reset(): void {
  send({ type: 'reset', seed: Math.floor(Math.random() * 1e6) });
  for (const a of [lossSteps, lossValues, accValues, evalSeen, evalLoss, evalAcc]) a.length = 0;
  emaLoss = emaAcc = NaN;
  done = false;
  drawCurves();
  $('#test-accuracy').textContent = '–';
  $('#test-loss').textContent = '–';
  $('#mistakes').replaceChildren(placeholder('The test digits the network gets wrong appear after the first evaluation.'));
  $('#confusion').replaceChildren(placeholder('Filled in at each evaluation on the test images.'));
  setProgress(0);
}

// ---- charts ------------------------------------------------------------------------------------
const lossChart = new LineChart($('#loss-chart'), { height: 130, xLabel: 'images seen', emptyText: 'Press Train: the loss appears here.' });
const accChart = new LineChart($('#acc-chart'), { height: 130, xLabel: 'images seen', yDomain: [0, 1], emptyText: 'Accuracy on training batches and test images.' });
function drawCurves(): void {
  lossChart.update([
    { name: 'training (smoothed)', color: '#0877bd', values: lossValues, xs: lossSteps },
    { name: 'test', color: '#f59322', values: evalLoss, xs: evalSeen },
  ]);
  accChart.update([
    { name: 'training batches (smoothed)', color: '#0877bd', values: accValues, xs: lossSteps },
    { name: 'test', color: '#f59322', values: evalAcc, xs: evalSeen },
  ]);
}
drawCurves();

function setProgress(fraction: number): void {
  const bar = $('#progress-bar');
  bar.style.width = `${(fraction * 100).toFixed(1)}%`;
  bar.dataset.value = String(fraction);
}

// ---- data -------------------------------------------------------------------------------------------
async function findData(): Promise<void> {
  try {
    const res = await fetch(new URL('../data/index.json', location.href));
    if (res.ok) {
      const index = (await res.json()) as { mnist: string[] };
      if (index.mnist.length === 4) {
        send({ type: 'load', base: new URL('../data/mnist/', location.href).href });
        return;
      }
    }
  } catch {
    /* static hosting without the lab server */
  }
  $('#data-status').textContent = 'MNIST is not served here: pick the four MNIST files (from yann.lecun.com or your data folder).';
  $('#upload').hidden = false;
}

($('#mnist-files') as HTMLInputElement).addEventListener('change', async (e) => {
  const files = Array.from((e.target as HTMLInputElement).files ?? []);
  const find = (key: string) => files.find((f) => f.name.includes(key));
  const parts = { trainImages: find('train-images'), trainLabels: find('train-labels'), testImages: find('t10k-images'), testLabels: find('t10k-labels') };
  const missing = Object.entries(parts).filter(([, f]) => !f).map(([k]) => k);
  if (missing.length) {
    $('#data-status').textContent = `Missing files: ${missing.join(', ')} (names like train-images-idx3-ubyte.gz).`;
    return;
  }
  const buffers = await Promise.all(Object.values(parts).map((f) => f!.arrayBuffer()));
  const [trainImages, trainLabels, testImagesB, testLabelsB] = buffers;
  send({ type: 'loadFiles', files: { trainImages, trainLabels, testImages: testImagesB, testLabels: testLabelsB } }, buffers);
});

// ---- filters -------------------------------------------------------------------------------------
function showFilters(conv1: number[][], conv2: number[][][]): void {
  const host1 = $('#filters1');
  if (host1.childElementCount !== conv1.length) {
    host1.replaceChildren(...conv1.map((_, i) => {
      const wrap = el('div', { className: 'filter' }, imageCanvas(5, 5, 10), el('span', { className: 'muted small' }, `#${i}`));
      wrap.addEventListener('click', () => selectChannel('conv1', i));
      return wrap;
    }));
  }
  const m1 = Math.max(1e-8, ...conv1.flat().map(Math.abs));
  conv1.forEach((w, i) => paintFilter(host1.children[i].querySelector('canvas')!, w, 5, m1));
  const host2 = $('#filters2');
  if (host2.childElementCount !== conv2.length * 6) {
    host2.replaceChildren(...conv2.flatMap((row) => row.map(() => imageCanvas(5, 5, 4))));
  }
  const m2 = Math.max(1e-8, ...conv2.flat(2).map(Math.abs));
  conv2.forEach((row, o) => row.forEach((w, i) => paintFilter(host2.children[o * 6 + i] as HTMLCanvasElement, w, 5, m2)));
}

// ---- feature maps ---------------------------------------------------------------------------
function requestMaps(index: number): void {
  if (!testImages) return;
  currentImage = Math.max(0, Math.min(testCount - 1, index));
  ($('#image-index') as HTMLInputElement).value = String(currentImage);
  send({ type: 'featureMaps', index: currentImage });
}

function showMaps(index: number, maps: FeatureMaps, probs: number[]): void {
  if (!testImages || !testLabels) return;
  const host = $('#feature-maps');
  const input = imageCanvas(28, 28, 3);
  paintDigit(input, testImages, index);
  const best = probs.indexOf(Math.max(...probs));
  $('#image-info').textContent = `label ${testLabels[index]}, predicted ${best} (${(probs[best] * 100).toFixed(1)}%)`;
  const rows: HTMLElement[] = [el('div', { className: 'map-row' }, el('div', { className: 'map-label' }, 'input'), input)];
  const scales: Record<string, number> = { conv1: 2, pool1: 3, conv2: 4, pool2: 6 };
  for (const name of ['conv1', 'pool1', 'conv2', 'pool2'] as const) {
    const { shape: [c, h, w], data } = maps[name];
    let max = 0;
    for (const v of data) max = Math.max(max, v);
    const cells = Array.from({ length: c }, (_, ch) => {
      const canvas = imageCanvas(w, h, scales[name], 'fmap');
      paintMap(canvas, data, ch * h * w, h, w, max);
      canvas.title = `${name} channel ${ch}`;
      if (name === 'conv1' || name === 'conv2') canvas.addEventListener('click', () => selectChannel(name, ch));
      return canvas;
    });
    rows.push(el('div', { className: 'map-row' }, el('div', { className: 'map-label' }, `${name} ${c}×${h}×${w}`), el('div', { className: 'map-cells' }, ...cells)));
  }
  host.replaceChildren(...rows);
  host.dataset.index = String(index);
}

$('#image-index').addEventListener('change', (e) => requestMaps(Number((e.target as HTMLInputElement).value)));
$('#prev-image').addEventListener('click', () => requestMaps(currentImage - 1));
$('#next-image').addEventListener('click', () => requestMaps(currentImage + 1));
$('#random-image').addEventListener('click', () => requestMaps(Math.floor(Math.random() * testCount)));

// ---- top activations (Zeiler & Fergus) -------------------------------------------------------------
function renderChannelButtons(): void {
  const n = topLayer === 'conv1' ? 6 : 16;
  if (topChannel >= n) topChannel = 0;
  $('#top-channels').replaceChildren(...Array.from({ length: n }, (_, c) => {
    const b = el('button', { className: `btn chan${c === topChannel ? ' selected' : ''}` }, String(c));
    b.type = 'button';
    b.addEventListener('click', () => selectChannel(topLayer, c));
    return b;
  }));
}
function selectChannel(layer: ConvLayer, channel: number): void {
  topLayer = layer;
  topChannel = channel;
  ($('#top-layer') as HTMLSelectElement).value = layer;
  renderChannelButtons();
  if (testImages) send({ type: 'top', layer, channel, testSize: config.testSize });
}
$('#top-layer').addEventListener('change', (e) => selectChannel((e.target as HTMLSelectElement).value as ConvLayer, 0));
renderChannelButtons();

function showTop(items: TopActivation[]): void {
  if (!testImages) return;
  const host = $('#top-images');
  host.replaceChildren(...items.map((it) => {
    const full = imageCanvas(28, 28, 3);
    paintDigit(full, testImages!, it.index);
    const [top, left, size] = it.field;
    const box = el('div', { className: 'rf-box' });
    Object.assign(box.style, { left: `${left * 3}px`, top: `${top * 3}px`, width: `${size * 3}px`, height: `${size * 3}px` });
    const patch = imageCanvas(size, size, Math.max(2, Math.round(42 / size)));
    const ctx = patch.getContext('2d')!;
    const img = ctx.createImageData(size, size);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const sy = top + y;
        const sx = left + x;
        const v = sy >= 0 && sy < 28 && sx >= 0 && sx < 28 ? testImages![it.index * 784 + sy * 28 + sx] : 0;
        const o = (y * size + x) * 4;
        img.data[o] = img.data[o + 1] = img.data[o + 2] = v;
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    const card = el('div', { className: 'top-card', title: `test image ${it.index}: activation ${it.value.toFixed(2)}` },
      el('div', { className: 'rf-wrap' }, full, box), patch, el('div', { className: 'muted small' }, `${it.value.toFixed(2)} · “${it.label}”`));
    card.addEventListener('click', () => requestMaps(it.index));
    return card;
  }));
  host.dataset.count = String(items.length);
}

// ---- drawing -------------------------------------------------------------------------------------
const pad = new DrawPad($('#draw-host'), () => predictDrawing());
function predictDrawing(): void {
  const pixels = pad.toMnist();
  const preview = $('#draw-preview') as HTMLCanvasElement;
  const ctx = preview.getContext('2d')!;
  const img = ctx.createImageData(28, 28);
  for (let p = 0; p < 784; p++) {
    const v = Math.round((pixels?.[p] ?? 0) * 255);
    img.data[p * 4] = img.data[p * 4 + 1] = img.data[p * 4 + 2] = v;
    img.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  if (pixels) send({ type: 'predict', pixels }, []);
}
$('#clear-button').addEventListener('click', () => {
  pad.clear();
  predictDrawing();
  $('#predictions').replaceChildren(el('span', { className: 'muted small' }, 'Draw a digit.'));
});

// ---- mistakes -----------------------------------------------------------------------------------
function showMistakes(mistakes: Evaluation['mistakes']): void {
  if (!testImages) return;
  $('#mistakes').replaceChildren(...mistakes.slice(0, 60).map((m) => {
    const c = imageCanvas(28, 28, 2);
    paintDigit(c, testImages!, m.index);
    const card = el('div', { className: 'mistake', title: `test image ${m.index}: ${(m.confidence * 100).toFixed(0)}% sure it is a ${m.predicted}` },
      c, el('div', { className: 'small mono' }, `${m.label} → ${m.predicted}`));
    card.addEventListener('click', () => requestMaps(m.index));
    return card;
  }));
}

// ---- messages from the worker ----------------------------------------------------------------------
worker.onmessage = (e: MessageEvent<FromWorker>) => {
  const m = e.data;
  switch (m.type) {
    case 'loading':
      $('#data-status').textContent = m.message;
      break;
    case 'loaded':
      testImages = m.testImages;
      testLabels = m.testLabels;
      testCount = m.testCount;
      $('#data-status').textContent = `MNIST loaded: ${m.trainCount.toLocaleString('en')} training and ${m.testCount.toLocaleString('en')} test images.`;
      $('#data-status').dataset.state = 'loaded';
      $('#upload').hidden = true;
      trainButton.disabled = false;
      resetButton.disabled = false;
      setStatus('idle', 'Ready: press Train.');
      requestMaps(0);
      selectChannel(topLayer, topChannel);
      break;
    case 'progress': {
      const a = 0.9;
      emaLoss = Number.isNaN(emaLoss) ? m.loss : a * emaLoss + (1 - a) * m.loss;
      emaAcc = Number.isNaN(emaAcc) ? m.accuracy : a * emaAcc + (1 - a) * m.accuracy;
      lossSteps.push(m.seen);
      lossValues.push(emaLoss);
      accValues.push(emaAcc);
      setProgress((m.epoch + m.step / m.stepsPerEpoch) / m.epochs);
      setStatus('running', `Epoch ${m.epoch + 1}/${m.epochs} · batch ${m.step}/${m.stepsPerEpoch} · loss ${m.loss.toFixed(3)} · ${m.imagesPerSecond.toFixed(0)} images/s`);
      if (lossSteps.length % 3 === 0) drawCurves();
      break;
    }
    case 'eval':
      evalSeen.push(m.seen);
      evalLoss.push(m.result.loss);
      evalAcc.push(m.result.accuracy);
      $('#test-accuracy').textContent = `${(m.result.accuracy * 100).toFixed(1)}%`;
      $('#test-accuracy').dataset.value = String(m.result.accuracy);
      $('#test-loss').textContent = m.result.loss.toFixed(3);
      renderConfusion($('#confusion'), m.result.confusion);
      showMistakes(m.result.mistakes);
      drawCurves();
      requestMaps(currentImage);
      if (testImages) send({ type: 'top', layer: topLayer, channel: topChannel, testSize: config.testSize });
      if (!pad.empty) predictDrawing();
      break;
    case 'filters':
      showFilters(m.conv1, m.conv2);
      break;
    case 'state':
      running = m.running;
      done = m.done;
      trainButton.textContent = m.running ? 'Pause' : m.done ? 'Train again' : m.seen > 0 ? 'Resume' : 'Train';
      if (!m.running) {
        drawCurves();
        setStatus(m.done ? 'done' : m.seen > 0 ? 'paused' : 'idle', m.done ? `Done: ${m.seen.toLocaleString('en')} images seen.` : m.seen > 0 ? 'Paused.' : 'Ready: press Train.');
      }
      break;
    case 'featureMaps':
      showMaps(m.index, m.maps, m.probs);
      break;
    case 'top':
      if (m.layer === topLayer && m.channel === topChannel) showTop(m.items);
      break;
    case 'prediction':
      probabilityBars($('#predictions'), m.probs);
      break;
    case 'error':
      setStatus('error', m.message);
      $('#status').classList.add('error');
      break;
  }
};
worker.onerror = (e) => setStatus('error', `worker failed: ${e.message}`);

function placeholder(text: string): HTMLElement {
  return el('p', { className: 'muted small placeholder' }, text);
}
$('#mistakes').replaceChildren(placeholder('The test digits the network gets wrong appear after the first evaluation.'));
$('#confusion').replaceChildren(placeholder('Filled in at each evaluation on the test images.'));

function setStatus(state: string, text: string): void {
  const s = $('#status');
  s.dataset.state = state;
  s.textContent = text;
}

void findData();
