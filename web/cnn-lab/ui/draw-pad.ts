/**
 * A canvas to draw a digit with mouse, pen or touch, and its MNIST-style
 * preprocessing: crop to the ink, scale the longer side to 20 px, centre the
 * centre of mass in a 28×28 image.
 */

export class DrawPad {
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private drawing = false;
  private last: [number, number] | null = null;
  private inked = false;

  constructor(parent: HTMLElement, private readonly onChange: () => void, size = 240) {
    this.canvas = document.createElement('canvas');
    this.canvas.width = this.canvas.height = size;
    this.canvas.className = 'draw-pad';
    this.canvas.id = 'draw-pad';
    this.canvas.setAttribute('aria-label', 'Draw a digit here');
    parent.append(this.canvas);
    this.ctx = this.canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    const pos = (e: PointerEvent): [number, number] => {
      const r = this.canvas.getBoundingClientRect();
      return [((e.clientX - r.left) / r.width) * size, ((e.clientY - r.top) / r.height) * size];
    };
    this.canvas.addEventListener('pointerdown', (e) => {
      this.drawing = true;
      this.canvas.setPointerCapture(e.pointerId);
      this.last = pos(e);
      this.stroke(this.last, this.last);
    });
    this.canvas.addEventListener('pointermove', (e) => {
      if (!this.drawing || !this.last) return;
      const p = pos(e);
      this.stroke(this.last, p);
      this.last = p;
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      this.last = null;
      this.onChange();
    };
    this.canvas.addEventListener('pointerup', end);
    this.canvas.addEventListener('pointercancel', end);
  }

  private stroke(a: [number, number], b: [number, number]): void {
    const c = this.ctx;
    c.strokeStyle = '#fff';
    c.lineWidth = this.canvas.width / 13;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(a[0], a[1]);
    c.lineTo(b[0], b[1]);
    c.stroke();
    this.inked = true;
  }

  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.inked = false;
  }

  get empty(): boolean {
    return !this.inked;
  }

  /** The drawing as 784 values in [0, 1], MNIST-style; null when nothing is drawn. */
  toMnist(): Float32Array | null {
    const { width: W, height: H } = this.canvas;
    const src = this.ctx.getImageData(0, 0, W, H).data;
    let top = H, left = W, bottom = -1, right = -1;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (src[(y * W + x) * 4] > 20) {
          top = Math.min(top, y);
          bottom = Math.max(bottom, y);
          left = Math.min(left, x);
          right = Math.max(right, x);
        }
      }
    }
    if (bottom < 0) return null;
    const bw = right - left + 1;
    const bh = bottom - top + 1;
    const scale = 20 / Math.max(bw, bh);
    const small = document.createElement('canvas');
    small.width = small.height = 28;
    const sctx = small.getContext('2d', { willReadFrequently: true })!;
    sctx.fillStyle = '#000';
    sctx.fillRect(0, 0, 28, 28);
    sctx.imageSmoothingEnabled = true;
    sctx.imageSmoothingQuality = 'high';
    const dw = bw * scale;
    const dh = bh * scale;
    sctx.drawImage(this.canvas, left, top, bw, bh, (28 - dw) / 2, (28 - dh) / 2, dw, dh);
    const px = sctx.getImageData(0, 0, 28, 28).data;
    const grey = new Float32Array(784);
    let mass = 0, cx = 0, cy = 0;
    for (let p = 0; p < 784; p++) {
      const v = px[p * 4] / 255;
      grey[p] = v;
      mass += v;
      cx += v * (p % 28);
      cy += v * Math.floor(p / 28);
    }
    // Shift so the centre of mass lands on the centre (13.5, 13.5).
    const sx = mass > 0 ? Math.round(13.5 - cx / mass) : 0;
    const sy = mass > 0 ? Math.round(13.5 - cy / mass) : 0;
    const out = new Float32Array(784);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const fx = x - sx;
        const fy = y - sy;
        if (fx >= 0 && fx < 28 && fy >= 0 && fy < 28) out[y * 28 + x] = grey[fy * 28 + fx];
      }
    }
    return out;
  }
}
