/** Drawing MNIST digits, feature maps and filters onto canvases. */
import * as d3 from 'd3';

/** A canvas showing a w×h image; CSS size `scale`× (pixelated). */
export function imageCanvas(w: number, h: number, scale: number, className = ''): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  c.style.width = `${w * scale}px`;
  c.style.height = `${h * scale}px`;
  c.className = `pixelated ${className}`.trim();
  return c;
}

/** Paint an MNIST digit (28×28 bytes at `offset`) white on black. */
export function paintDigit(canvas: HTMLCanvasElement, images: Uint8Array, index: number, size = 28): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(size, size);
  const base = index * size * size;
  for (let p = 0; p < size * size; p++) {
    const v = images[base + p];
    img.data[p * 4] = img.data[p * 4 + 1] = img.data[p * 4 + 2] = v;
    img.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** Paint values (h×w at `offset`) scaled to [0, max] with a perceptual colour map (feature maps). */
export function paintMap(canvas: HTMLCanvasElement, data: ArrayLike<number>, offset: number, h: number, w: number, max?: number): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  let hi = max ?? 0;
  if (max === undefined) for (let p = 0; p < h * w; p++) hi = Math.max(hi, data[offset + p]);
  const img = ctx.createImageData(w, h);
  for (let p = 0; p < h * w; p++) {
    const t = hi > 0 ? Math.max(0, data[offset + p]) / hi : 0;
    const c = d3.rgb(d3.interpolateInferno(t));
    img.data[p * 4] = c.r;
    img.data[p * 4 + 1] = c.g;
    img.data[p * 4 + 2] = c.b;
    img.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** Paint a filter's weights with a diverging scale symmetric around 0 (orange < 0 < blue). */
export function paintFilter(canvas: HTMLCanvasElement, weights: readonly number[], size: number, absMax?: number): void {
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const m = absMax ?? Math.max(1e-8, ...weights.map(Math.abs));
  const img = ctx.createImageData(size, size);
  for (let p = 0; p < size * size; p++) {
    const c = d3.rgb(d3.interpolateRdBu(0.5 + 0.5 * Math.max(-1, Math.min(1, weights[p] / m))));
    img.data[p * 4] = c.r;
    img.data[p * 4 + 1] = c.g;
    img.data[p * 4 + 2] = c.b;
    img.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}

/** Horizontal probability bars for classes, best first. */
export function probabilityBars(container: HTMLElement, probs: readonly number[], top = 5): void {
  const ranked = probs.map((p, c) => ({ p, c })).sort((a, b) => b.p - a.p).slice(0, top);
  container.replaceChildren(
    ...ranked.map(({ p, c }, i) => {
      const row = document.createElement('div');
      row.className = `prob-row${i === 0 ? ' best' : ''}`;
      row.dataset.digit = String(c);
      row.dataset.prob = String(p);
      const label = document.createElement('span');
      label.className = 'digit';
      label.textContent = String(c);
      const bar = document.createElement('div');
      bar.className = 'bar';
      const fill = document.createElement('div');
      fill.className = 'fill';
      fill.style.width = `${(p * 100).toFixed(1)}%`;
      bar.append(fill);
      const pct = document.createElement('span');
      pct.className = 'pct mono';
      pct.textContent = `${(p * 100).toFixed(1)}%`;
      row.append(label, bar, pct);
      return row;
    }),
  );
}
