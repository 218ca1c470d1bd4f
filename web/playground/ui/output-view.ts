/** The output heat map over the plane, with the data points and axes (d3). */
import * as d3 from 'd3';
import { DOMAIN, type Point } from '../datasets.js';
import { colorScale, paintHeatmap } from './colors.js';

const MARGIN = 22;

export class OutputView {
  private readonly root: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly svg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly pointsGroup: d3.Selection<SVGGElement, unknown, null, undefined>;
  private size = 300;
  private train: Point[] = [];
  private test: Point[] = [];
  private showTest = false;

  constructor(parent: HTMLElement) {
    this.root = document.createElement('div');
    this.root.className = 'output-view';
    this.root.id = 'heatmap';
    parent.append(this.root);
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'output-canvas';
    this.root.append(this.canvas);
    this.svg = d3.select(this.root).append('svg').attr('class', 'output-svg');
    this.pointsGroup = this.svg.append('g').attr('class', 'points');
    new ResizeObserver(() => this.resize()).observe(this.root);
    this.resize();
  }

  private resize(): void {
    const size = Math.max(160, Math.min(360, (this.root.clientWidth || 300) - MARGIN));
    if (size === this.size && this.svg.attr('width')) return;
    this.size = size;
    this.canvas.style.width = this.canvas.style.height = `${size}px`;
    this.svg.attr('width', size + MARGIN).attr('height', size + MARGIN);
    this.svg.selectAll('g.axis').remove();
    const scale = d3.scaleLinear().domain([-DOMAIN, DOMAIN]).range([0, size]);
    const yScale = d3.scaleLinear().domain([-DOMAIN, DOMAIN]).range([size, 0]);
    this.svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${size})`).call(d3.axisBottom(scale).ticks(6).tickSizeOuter(0));
    this.svg.append('g').attr('class', 'axis').attr('transform', `translate(${size},0)`).call(d3.axisRight(yScale).ticks(6).tickSizeOuter(0));
    this.drawPoints();
  }

  setData(train: Point[], test: Point[], showTest: boolean): void {
    this.train = train;
    this.test = test;
    this.showTest = showTest;
    this.drawPoints();
  }

  paint(values: Float32Array, density: number, discretize: boolean): void {
    paintHeatmap(this.canvas, values, density, discretize);
  }

  private drawPoints(): void {
    const x = d3.scaleLinear().domain([-DOMAIN, DOMAIN]).range([0, this.size]);
    const y = d3.scaleLinear().domain([-DOMAIN, DOMAIN]).range([this.size, 0]);
    const pts = [...this.train.map((p) => ({ p, test: false })), ...(this.showTest ? this.test.map((p) => ({ p, test: true })) : [])];
    this.root.dataset.points = String(pts.length);
    this.pointsGroup
      .selectAll<SVGCircleElement, { p: Point; test: boolean }>('circle')
      .data(pts)
      .join('circle')
      .attr('r', 3)
      .attr('cx', (d) => x(d.p.x))
      .attr('cy', (d) => y(d.p.y))
      .attr('fill', (d) => colorScale(d.p.label))
      .attr('stroke', (d) => (d.test ? '#000' : '#fff'))
      .attr('stroke-width', 1);
  }
}
