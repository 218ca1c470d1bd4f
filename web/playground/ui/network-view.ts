/**
 * The network diagram: input features, hidden layers and the output as small
 * heat maps (enlarged on hover), links drawn with d3 whose width and colour
 * show the weight (click one to type a new weight), and the +/- controls for
 * layers and neurons.
 */
import * as d3 from 'd3';
import { FEATURES, type FeatureId } from '../features.js';
import { MAX_HIDDEN_LAYERS, MAX_NEURONS } from '../state.js';
import type { GridOutputs } from '../network.js';
import { colorScale, paintHeatmap } from './colors.js';

export interface NetworkViewCallbacks {
  toggleFeature(id: FeatureId): void;
  addLayer(): void;
  removeLayer(): void;
  addNeuron(layer: number): void;
  removeNeuron(layer: number): void;
  editWeight(layer: number, from: number, to: number, value: number): void;
}

interface NodeRef {
  canvas: HTMLCanvasElement;
  /** Position in the grid outputs: [layer][neuron]; layer 0 = active inputs. */
  layer: number;
  index: number;
  cx: number;
  cy: number;
  title: string;
}

const NODE = 30;
const GAP = 10;
const TOP = 64;

const linkWidth = d3.scaleLinear().domain([0, 5]).range([1, 10]).clamp(true);

export class NetworkView {
  private readonly root: HTMLDivElement;
  private readonly svg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly nodeLayer: HTMLDivElement;
  private readonly card: HTMLDivElement;
  private readonly cardCanvas: HTMLCanvasElement;
  private readonly cardText: HTMLDivElement;
  private readonly editor: HTMLDivElement;
  private nodes: NodeRef[] = [];
  private features: FeatureId[] = [];
  private shape: number[] = [];
  private grid: GridOutputs | null = null;
  private weights: number[][][] = [];
  private biases: number[][] = [];
  private hovered: NodeRef | null = null;
  private lastWidth = 0;

  constructor(parent: HTMLElement, private readonly cb: NetworkViewCallbacks) {
    this.root = document.createElement('div');
    this.root.className = 'network';
    this.root.id = 'network';
    parent.append(this.root);
    this.svg = d3.select(this.root).append('svg').attr('class', 'links');
    this.nodeLayer = document.createElement('div');
    this.nodeLayer.className = 'nodes';
    this.root.append(this.nodeLayer);

    this.card = document.createElement('div');
    this.card.className = 'hovercard';
    this.card.hidden = true;
    this.cardCanvas = document.createElement('canvas');
    this.cardText = document.createElement('div');
    this.card.append(this.cardCanvas, this.cardText);
    this.root.append(this.card);

    this.editor = document.createElement('div');
    this.editor.className = 'weight-editor';
    this.editor.hidden = true;
    this.root.append(this.editor);
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.editor.hidden = true;
    });
    new ResizeObserver(() => {
      if (Math.abs(this.root.clientWidth - this.lastWidth) > 1) this.layout();
    }).observe(this.root);
  }

  /** Rebuild for a new architecture. */
  setArchitecture(features: FeatureId[], shape: number[]): void {
    this.features = [...features];
    this.shape = [...shape];
    this.root.dataset.shape = [features.length, ...shape, 1].join(',');
    this.editor.hidden = true;
    this.layout();
  }

  /** New values to show (after a training step). */
  update(grid: GridOutputs, weights: number[][][], biases: number[][]): void {
    this.grid = grid;
    this.weights = weights;
    this.biases = biases;
    for (const n of this.nodes) {
      const values = grid.layers[n.layer]?.[n.index];
      if (values) paintHeatmap(n.canvas, values, grid.density);
    }
    this.drawLinks();
    if (this.hovered) this.showCard(this.hovered);
  }

  private columnsX(width: number, columns: number): number[] {
    const left = 90;
    const right = 40;
    const span = Math.max(1, width - left - right);
    return Array.from({ length: columns }, (_, c) => left + (columns === 1 ? 0 : (c * span) / (columns - 1)));
  }

  private layout(): void {
    const width = Math.max(320, this.root.clientWidth);
    this.lastWidth = this.root.clientWidth;
    this.hideCard(); // its node may be gone
    const columns = this.shape.length + 2;
    const xs = this.columnsX(width, columns);
    const rows = Math.max(FEATURES.length, ...this.shape, 1);
    const height = TOP + rows * (NODE + GAP) + 10;
    this.root.style.height = `${height}px`;
    this.svg.attr('width', width).attr('height', height);
    this.nodeLayer.replaceChildren();
    this.nodes = [];

    // Column headers and the layer count.
    const header = document.createElement('div');
    header.className = 'layer-count';
    header.style.left = `${(xs[0] + xs[columns - 1]) / 2}px`;
    const plus = button('+', 'add-layer', 'Add a hidden layer', () => this.cb.addLayer(), this.shape.length >= MAX_HIDDEN_LAYERS);
    const minus = button('−', 'remove-layer', 'Remove a hidden layer', () => this.cb.removeLayer(), this.shape.length === 0);
    const label = document.createElement('span');
    label.id = 'num-layers';
    label.textContent = `${this.shape.length} hidden layer${this.shape.length === 1 ? '' : 's'}`;
    header.append(plus, minus, label);
    this.nodeLayer.append(header);

    // Inputs: every feature, inactive ones faded; active ones feed the network.
    const featLabel = colHeader('Features', xs[0]);
    this.nodeLayer.append(featLabel);
    let activeIndex = 0;
    FEATURES.forEach((f, r) => {
      const active = this.features.includes(f.id);
      const cy = TOP + r * (NODE + GAP) + NODE / 2;
      const el = this.makeNode(xs[0], cy, active ? { layer: 0, index: activeIndex++, title: f.label } : null);
      el.classList.add('input');
      el.classList.toggle('inactive', !active);
      el.dataset.feature = f.id;
      el.title = `${f.label}: click to ${active ? 'remove' : 'add'} this feature`;
      el.addEventListener('click', () => this.cb.toggleFeature(f.id));
      const text = document.createElement('div');
      text.className = 'input-label';
      text.textContent = f.label;
      text.style.left = `${xs[0] - NODE / 2 - 6}px`;
      text.style.top = `${cy}px`;
      this.nodeLayer.append(text);
    });

    // Hidden layers with their neuron controls.
    this.shape.forEach((n, l) => {
      const x = xs[l + 1];
      const ctl = document.createElement('div');
      ctl.className = 'neuron-controls';
      ctl.style.left = `${x}px`;
      ctl.append(
        button('+', 'add-neuron', `Add a neuron to layer ${l + 1}`, () => this.cb.addNeuron(l), n >= MAX_NEURONS),
        button('−', 'remove-neuron', `Remove a neuron from layer ${l + 1}`, () => this.cb.removeNeuron(l), n <= 1),
      );
      const count = document.createElement('div');
      count.className = 'neuron-count';
      count.textContent = `${n} neuron${n === 1 ? '' : 's'}`;
      ctl.append(count);
      this.nodeLayer.append(ctl);
      for (let i = 0; i < n; i++) {
        const el = this.makeNode(x, TOP + i * (NODE + GAP) + NODE / 2, { layer: l + 1, index: i, title: `Layer ${l + 1}, neuron ${i + 1}` });
        el.classList.add('hidden-node');
      }
    });

    // Output.
    this.nodeLayer.append(colHeader('Output', xs[columns - 1]));
    const out = this.makeNode(xs[columns - 1], TOP + NODE / 2, { layer: columns - 1, index: 0, title: 'Output' });
    out.classList.add('output-node');
    this.drawLinks();
    if (this.grid) {
      for (const node of this.nodes) {
        const values = this.grid.layers[node.layer]?.[node.index];
        if (values) paintHeatmap(node.canvas, values, this.grid.density);
      }
    }
  }

  private makeNode(cx: number, cy: number, ref: { layer: number; index: number; title: string } | null): HTMLDivElement {
    const el = document.createElement('div');
    el.className = 'node';
    el.style.left = `${cx - NODE / 2}px`;
    el.style.top = `${cy - NODE / 2}px`;
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    el.append(canvas);
    this.nodeLayer.append(el);
    if (ref) {
      const node: NodeRef = { canvas, cx, cy, ...ref };
      el.dataset.layer = String(ref.layer);
      el.dataset.index = String(ref.index);
      this.nodes.push(node);
      el.addEventListener('mouseenter', () => this.showCard(node));
      el.addEventListener('mouseleave', () => this.hideCard());
    }
    return el;
  }

  private showCard(node: NodeRef): void {
    this.hovered = node;
    const values = this.grid?.layers[node.layer]?.[node.index];
    if (!values || !this.grid) return;
    paintHeatmap(this.cardCanvas, values, this.grid.density);
    const bias = node.layer > 0 ? this.biases[node.layer - 1]?.[node.index] : undefined;
    this.cardText.textContent = bias === undefined ? node.title : `${node.title} · bias ${bias.toFixed(3)}`;
    const width = this.root.clientWidth;
    const left = node.cx + NODE / 2 + 8 + 160 > width ? node.cx - NODE / 2 - 168 : node.cx + NODE / 2 + 8;
    this.card.style.left = `${left}px`;
    this.card.style.top = `${Math.max(0, node.cy - 80)}px`;
    this.card.hidden = false;
  }

  private hideCard(): void {
    this.hovered = null;
    this.card.hidden = true;
  }

  private drawLinks(): void {
    type Link = { l: number; i: number; j: number; w: number; source: [number, number]; target: [number, number] };
    const byLayer = new Map<number, NodeRef[]>();
    for (const n of this.nodes) byLayer.set(n.layer, [...(byLayer.get(n.layer) ?? []), n]);
    const links: Link[] = [];
    for (let l = 0; l < this.shape.length + 1; l++) {
      const from = byLayer.get(l) ?? [];
      const to = byLayer.get(l + 1) ?? [];
      for (const a of from) {
        for (const b of to) {
          const w = this.weights[l]?.[a.index]?.[b.index] ?? 0;
          links.push({ l, i: a.index, j: b.index, w, source: [a.cx + NODE / 2, a.cy], target: [b.cx - NODE / 2, b.cy] });
        }
      }
    }
    const path = d3.linkHorizontal<Link, [number, number]>().source((d) => d.source).target((d) => d.target);
    const key = (d: Link) => `${d.l}-${d.i}-${d.j}`;
    this.svg.selectAll<SVGPathElement, Link>('path.link')
      .data(links, key)
      .join('path')
      .attr('class', 'link')
      .attr('d', path)
      .attr('stroke', (d) => colorScale(d.w))
      .attr('stroke-width', (d) => linkWidth(Math.abs(d.w)));
    this.svg.selectAll<SVGPathElement, Link>('path.link-hit')
      .data(links, key)
      .join((enter) => enter.append('path').attr('class', 'link-hit').call((p) => p.append('title')))
      .attr('d', path)
      .attr('data-link', key)
      .on('click', (event: MouseEvent, d) => this.openEditor(event, d.l, d.i, d.j, d.w))
      .select('title')
      .text((d) => `Weight ${d.w.toFixed(3)} (click to edit)`);
  }

  private openEditor(event: MouseEvent, l: number, i: number, j: number, w: number): void {
    const rect = this.root.getBoundingClientRect();
    this.editor.replaceChildren();
    const label = document.createElement('label');
    label.textContent = 'Weight ';
    const input = document.createElement('input');
    input.type = 'number';
    input.step = '0.01';
    input.value = w.toFixed(3);
    input.id = 'weight-input';
    label.append(input);
    const commit = () => {
      const v = Number(input.value);
      if (input.value.trim() !== '' && Number.isFinite(v)) this.cb.editWeight(l, i, j, v);
      this.editor.hidden = true;
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') commit();
    });
    input.addEventListener('blur', () => (this.editor.hidden = true));
    this.editor.append(label);
    this.editor.style.left = `${Math.min(event.clientX - rect.left, rect.width - 160)}px`;
    this.editor.style.top = `${event.clientY - rect.top + 8}px`;
    this.editor.hidden = false;
    input.focus();
    input.select();
  }
}

function button(text: string, cls: string, title: string, onClick: () => void, disabled: boolean): HTMLButtonElement {
  const b = document.createElement('button');
  b.className = `round ${cls}`;
  b.type = 'button';
  b.textContent = text;
  b.title = title;
  b.setAttribute('aria-label', title);
  b.disabled = disabled;
  b.addEventListener('click', onClick);
  return b;
}

function colHeader(text: string, x: number): HTMLDivElement {
  const h = document.createElement('div');
  h.className = 'col-header';
  h.textContent = text;
  h.style.left = `${x}px`;
  return h;
}
