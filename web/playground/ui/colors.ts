/** The Playground's colour scale: orange (−1) → light grey (0) → blue (+1), as d3 scales and a fast lookup table. */
import * as d3 from 'd3';

export const NEG = '#f59322';
export const MID = '#e8eaeb';
export const POS = '#0877bd';

export const colorScale = d3.scaleLinear<string>().domain([-1, 0, 1]).range([NEG, MID, POS]).clamp(true);

const LUT_SIZE = 256;
const LUT = new Uint8ClampedArray(LUT_SIZE * 3);
for (let i = 0; i < LUT_SIZE; i++) {
  const c = d3.rgb(colorScale(-1 + (2 * i) / (LUT_SIZE - 1)));
  LUT.set([c.r, c.g, c.b], i * 3);
}

/**
 * Paint density² values (row 0 at the top) into a canvas whose pixel size
 * is density × density; CSS scales it up. `discretize` shows only the sign.
 */
export function paintHeatmap(canvas: HTMLCanvasElement, values: Float32Array, density: number, discretize = false): void {
  if (canvas.width !== density || canvas.height !== density) {
    canvas.width = density;
    canvas.height = density;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const img = ctx.createImageData(density, density);
  const px = img.data;
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    if (discretize) v = v >= 0 ? 1 : -1;
    if (!Number.isFinite(v)) v = 0;
    const k = Math.round(((Math.max(-1, Math.min(1, v)) + 1) / 2) * (LUT_SIZE - 1)) * 3;
    px[i * 4] = LUT[k];
    px[i * 4 + 1] = LUT[k + 1];
    px[i * 4 + 2] = LUT[k + 2];
    px[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
