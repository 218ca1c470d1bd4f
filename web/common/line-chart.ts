/**
 * A small multi-series line chart with d3 (SVG), redrawn on update(). Used
 * for loss/accuracy curves and the gradient-flow view.
 */
import * as d3 from 'd3';

export interface Series {
  name: string;
  color: string;
  /** y values; x is the index (or `xs` when given). */
  values: readonly number[];
  xs?: readonly number[];
  dashed?: boolean;
}

export interface LineChartOptions {
  height?: number;
  /** Log scale on y (values ≤ 0 are dropped). */
  logY?: boolean;
  /** Fixed y domain; otherwise from the data. */
  yDomain?: [number, number];
  xLabel?: string;
  yLabel?: string;
  legend?: boolean;
  /** Ticks on the axes (false: a minimal chart with no axes, as the Playground's loss curve). */
  axes?: boolean;
  /** x values are counts (epochs, images): integer ticks only. */
  integerX?: boolean;
  /** Shown while there is nothing to plot. */
  emptyText?: string;
}

export class LineChart {
  readonly element: HTMLDivElement;
  private readonly svg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  private readonly legendEl: HTMLDivElement;
  private series: Series[] = [];
  private readonly options: Required<Omit<LineChartOptions, 'yDomain' | 'emptyText'>> & Pick<LineChartOptions, 'yDomain' | 'emptyText'>;
  private readonly resize: ResizeObserver;

  constructor(parent: HTMLElement, options: LineChartOptions = {}) {
    this.options = { height: 120, logY: false, xLabel: '', yLabel: '', legend: true, axes: true, integerX: true, ...options };
    this.element = document.createElement('div');
    this.element.className = 'chart';
    parent.append(this.element);
    this.svg = d3.select(this.element).append('svg').attr('height', this.options.height).style('display', 'block').style('width', '100%');
    this.legendEl = document.createElement('div');
    this.legendEl.className = 'legend';
    if (this.options.legend) this.element.append(this.legendEl);
    this.resize = new ResizeObserver(() => this.draw());
    this.resize.observe(this.element);
  }

  update(series: Series[]): void {
    this.series = series;
    this.draw();
  }

  private draw(): void {
    const { height, logY, axes } = this.options;
    const width = Math.max(60, this.element.clientWidth || 300);
    const m = axes ? { top: 6, right: 8, bottom: 20, left: 42 } : { top: 2, right: 2, bottom: 2, left: 2 };
    this.svg.attr('width', width).attr('viewBox', `0 0 ${width} ${height}`);
    this.svg.selectAll('*').remove();
    const pts = this.series.map((s) =>
      s.values.map((y, i) => [s.xs ? s.xs[i] : i, y] as [number, number]).filter(([, y]) => Number.isFinite(y) && (!logY || y > 0)),
    );
    const all = pts.flat();
    if (all.length === 0) {
      if (this.options.emptyText) {
        this.svg.append('text').attr('class', 'empty').attr('x', width / 2).attr('y', height / 2).attr('text-anchor', 'middle').text(this.options.emptyText);
      }
      this.renderLegend();
      return;
    }
    const xExt = d3.extent(all, (p) => p[0]) as [number, number];
    let yExt = this.options.yDomain ?? (d3.extent(all, (p) => p[1]) as [number, number]);
    if (yExt[0] === yExt[1]) yExt = logY ? [yExt[0] / 2, yExt[1] * 2] : [yExt[0] - 1e-3, yExt[1] + 1e-3];
    const x = d3.scaleLinear().domain(xExt[0] === xExt[1] ? [xExt[0], xExt[0] + 1] : xExt).range([m.left, width - m.right]);
    const y = (logY ? d3.scaleLog() : d3.scaleLinear()).domain(yExt).range([height - m.bottom, m.top]).clamp(true);
    if (!logY && !this.options.yDomain) y.nice();
    if (axes) {
      this.svg.append('g').attr('class', 'axis').attr('transform', `translate(0,${height - m.bottom})`)
        .call(this.xAxis(x, width));
      this.svg.append('g').attr('class', 'axis').attr('transform', `translate(${m.left},0)`)
        .call(d3.axisLeft(y).ticks(4, '.2~g').tickSizeOuter(0));
      if (this.options.xLabel) {
        this.svg.append('text').attr('x', width - m.right).attr('y', height - m.bottom - 4).attr('text-anchor', 'end').text(this.options.xLabel);
      }
    }
    const line = d3.line<[number, number]>().x((p) => x(p[0])).y((p) => y(p[1]));
    this.series.forEach((s, i) => {
      this.svg.append('path').attr('class', 'series').attr('stroke', s.color)
        .attr('stroke-dasharray', s.dashed ? '4 3' : null).attr('d', line(pts[i]) ?? '');
    });
    this.renderLegend();
  }

  private xAxis(x: d3.ScaleLinear<number, number>, width: number): d3.Axis<d3.NumberValue> {
    const count = Math.max(2, Math.floor(width / 70));
    const axis = d3.axisBottom(x).tickSizeOuter(0);
    if (!this.options.integerX) return axis.ticks(count);
    const ticks = x.ticks(count).filter((t) => Number.isInteger(t));
    return axis.tickValues(ticks).tickFormat(d3.format('~s'));
  }

  private renderLegend(): void {
    if (!this.options.legend) return;
    this.legendEl.replaceChildren(
      ...this.series.map((s) => {
        const span = document.createElement('span');
        const swatch = document.createElement('i');
        swatch.style.background = s.color;
        const last = s.values[s.values.length - 1];
        span.append(swatch, `${s.name}${last !== undefined && Number.isFinite(last) ? ` ${fmt(last)}` : ''}`);
        return span;
      }),
    );
  }
}

function fmt(v: number): string {
  return Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(3) : v.toExponential(1);
}
