/** The Playground's controls: the top bar (training and hyper-parameters) and the data column. */
import { el, checkField, selectField, sliderField } from '../../common/dom.js';
import { icon } from '../../common/icons.js';
import { CLASS_DATASETS, DATASET_TITLES, REG_DATASETS, generate, type DatasetName } from '../datasets.js';
import {
  ACTIVATIONS, DROPOUT_RATES, LEARNING_RATES, OPTIMIZERS, PROBLEMS, REG_RATES, REGULARIZATIONS,
  type PlaygroundState,
} from '../state.js';
import { colorScale } from './colors.js';

export interface ControlCallbacks {
  playPause(): void;
  step(): void;
  reset(): void;
  regenerate(): void;
  /** A field changed; `key` says which (the state object is already updated). */
  changed(key: keyof PlaygroundState | 'features'): void;
}

const OPTIMIZER_TEXT = { sgd: 'SGD', momentum: 'SGD + momentum', adam: 'Adam' } as const;
const PROBLEM_TEXT = { classification: 'Classification', regression: 'Regression' } as const;
const ACT_TEXT = { relu: 'ReLU', tanh: 'Tanh', sigmoid: 'Sigmoid', linear: 'Linear' } as const;

export class Controls {
  readonly playButton: HTMLButtonElement;
  readonly epochEl: HTMLSpanElement;
  private readonly datasetBox: HTMLDivElement;
  private readonly setters: (() => void)[] = [];

  constructor(topBar: HTMLElement, dataCol: HTMLElement, outputOptions: HTMLElement, private readonly state: PlaygroundState, private readonly cb: ControlCallbacks) {
    // ---- top bar: run controls and hyper-parameters ----
    const reset = el('button', { id: 'reset-button', className: 'round big', title: 'Reset the network' }, icon('reset'));
    reset.type = 'button';
    reset.addEventListener('click', () => cb.reset());
    this.playButton = el('button', { id: 'play-pause-button', className: 'round big play', title: 'Run/Pause' }, icon('play', 28));
    this.playButton.type = 'button';
    this.playButton.addEventListener('click', () => cb.playPause());
    const step = el('button', { id: 'next-step-button', className: 'round big', title: 'One epoch' }, icon('step'));
    step.type = 'button';
    step.addEventListener('click', () => cb.step());
    this.epochEl = el('span', { id: 'epoch', className: 'epoch mono' }, '000,000');
    topBar.append(
      el('div', { className: 'run' }, reset, this.playButton, step),
      el('div', { className: 'epoch-box' }, el('span', { className: 'muted small' }, 'Epoch'), this.epochEl),
    );
    const s = state;
    const field = <K extends keyof PlaygroundState, T extends PlaygroundState[K] & (string | number)>(
      key: K, id: string, label: string, options: readonly { value: T; text: string }[],
    ) => {
      const f = selectField<T>(id, label, options, s[key] as T, (v) => {
        (s[key] as T) = v;
        cb.changed(key);
      });
      this.setters.push(() => f.set(s[key] as T));
      return f.root;
    };
    const bn = checkField('batch-norm', 'Batch norm', s.batchNorm, (v) => {
      s.batchNorm = v;
      cb.changed('batchNorm');
    });
    this.setters.push(() => (bn.input.checked = s.batchNorm));
    topBar.append(
      el('div', { className: 'params' },
        field('learningRate', 'learning-rate', 'Learning rate', LEARNING_RATES.map((v) => ({ value: v as number, text: String(v) }))),
        field('activation', 'activation', 'Activation', ACTIVATIONS.map((v) => ({ value: v, text: ACT_TEXT[v] }))),
        field('regularization', 'regularization', 'Regularization', REGULARIZATIONS.map((v) => ({ value: v, text: v === 'none' ? 'None' : v }))),
        field('regularizationRate', 'regularization-rate', 'Regularization rate', REG_RATES.map((v) => ({ value: v as number, text: String(v) }))),
        field('problem', 'problem', 'Problem type', PROBLEMS.map((v) => ({ value: v, text: PROBLEM_TEXT[v] }))),
        field('optimizer', 'optimizer', 'Optimizer', OPTIMIZERS.map((v) => ({ value: v, text: OPTIMIZER_TEXT[v] }))),
        field('dropout', 'dropout', 'Dropout', DROPOUT_RATES.map((v) => ({ value: v as number, text: v === 0 ? 'Off' : String(v) }))),
        el('div', { className: 'field' }, el('span', { className: 'muted small' }, 'Normalisation'), bn.root),
      ),
    );

    // ---- data column ----
    this.datasetBox = el('div', { className: 'datasets', id: 'datasets' });
    const ratio = sliderField('perc-train', 'Ratio of training to test data', { min: 10, max: 90, step: 10 }, s.percTrainData, (v) => {
      s.percTrainData = v;
      cb.changed('percTrainData');
    }, (v) => `${v}%`);
    const noise = sliderField('noise', 'Noise', { min: 0, max: 50, step: 5 }, s.noise, (v) => {
      s.noise = v;
      cb.changed('noise');
    });
    const batch = sliderField('batch-size', 'Batch size', { min: 1, max: 30, step: 1 }, s.batchSize, (v) => {
      s.batchSize = v;
      cb.changed('batchSize');
    });
    this.setters.push(() => ratio.set(s.percTrainData), () => noise.set(s.noise), () => batch.set(s.batchSize));
    const regen = el('button', { id: 'regenerate', className: 'btn' }, 'Regenerate');
    regen.type = 'button';
    regen.addEventListener('click', () => cb.regenerate());
    dataCol.append(
      el('h2', {}, 'Data'),
      el('div', { className: 'muted small' }, 'Which dataset do you want to use?'),
      this.datasetBox, ratio.root, noise.root, batch.root, regen,
    );

    // ---- output options ----
    const showTest = checkField('show-test-data', 'Show test data', s.showTestData, (v) => {
      s.showTestData = v;
      cb.changed('showTestData');
    });
    const discretize = checkField('discretize', 'Discretize output', s.discretize, (v) => {
      s.discretize = v;
      cb.changed('discretize');
    });
    this.setters.push(() => (showTest.input.checked = s.showTestData), () => (discretize.input.checked = s.discretize));
    outputOptions.append(showTest.root, discretize.root);
    this.renderDatasets();
  }

  /** Refresh every control from the state (after the URL changed). */
  sync(): void {
    for (const set of this.setters) set();
    this.renderDatasets();
  }

  setPlaying(playing: boolean): void {
    this.playButton.replaceChildren(icon(playing ? 'pause' : 'play', 28));
    this.playButton.classList.toggle('playing', playing);
  }

  setEpoch(epoch: number): void {
    this.epochEl.textContent = epoch.toString().padStart(6, '0').replace(/(\d{3})(\d{3})$/, '$1,$2');
    this.epochEl.dataset.value = String(epoch);
  }

  /** Thumbnails of the data sets of the current problem type. */
  renderDatasets(): void {
    const s = this.state;
    const names: readonly DatasetName[] = s.problem === 'classification' ? CLASS_DATASETS : REG_DATASETS;
    const current = s.problem === 'classification' ? s.dataset : s.regDataset;
    this.datasetBox.replaceChildren(
      ...names.map((name) => {
        const canvas = el('canvas');
        canvas.width = canvas.height = 64;
        drawThumbnail(canvas, name);
        const b = el('button', { className: `dataset${name === current ? ' selected' : ''}`, title: DATASET_TITLES[name] }, canvas);
        b.type = 'button';
        b.dataset.dataset = name;
        b.setAttribute('aria-label', DATASET_TITLES[name]);
        b.addEventListener('click', () => {
          if (s.problem === 'classification') s.dataset = name as typeof s.dataset;
          else s.regDataset = name as typeof s.regDataset;
          this.renderDatasets();
          this.cb.changed(s.problem === 'classification' ? 'dataset' : 'regDataset');
        });
        return b;
      }),
    );
  }
}

const thumbCache = new Map<DatasetName, ImageData>();
function drawThumbnail(canvas: HTMLCanvasElement, name: DatasetName): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const cached = thumbCache.get(name);
  if (cached) {
    ctx.putImageData(cached, 0, 0);
    return;
  }
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (const p of generate(name, 0, 'thumbnail', 200)) {
    ctx.fillStyle = colorScale(p.label);
    ctx.beginPath();
    ctx.arc(((p.x + 6) / 12) * canvas.width, ((6 - p.y) / 12) * canvas.height, 1.6, 0, 2 * Math.PI);
    ctx.fill();
  }
  thumbCache.set(name, ctx.getImageData(0, 0, canvas.width, canvas.height));
}
