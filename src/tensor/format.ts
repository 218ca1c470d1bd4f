import type { Tensor } from './tensor.js';

/** PyTorch-style printing: tensor([[1.0000, 2.0000]], dtype=float64, requiresGrad=true). */
export function formatTensor(t: Tensor): string {
  const flat = t.data();
  const isFloat = t.dtype === 'float32' || t.dtype === 'float64';
  // As PyTorch: integral values print as `1.`; nan/inf do not stop that.
  const allIntegral = isFloat && Array.prototype.every.call(flat, (v: number) => Number.isInteger(v) || !Number.isFinite(v));
  const fmt = (v: number): string => {
    if (t.dtype === 'bool') return v ? 'true' : 'false';
    if (!isFloat) return String(v);
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    if (allIntegral) return `${v}.`;
    const a = Math.abs(v);
    return a !== 0 && (a >= 1e8 || a < 1e-4) ? v.toExponential(4) : v.toFixed(4);
  };
  const edge = 3;
  const summarise = t.size > 1000;
  const render = (dim: number, offset: number, indent: string): string => {
    if (t.ndim === 0) return fmt(flat[0]);
    const n = t.shape[dim];
    const stride = t.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    const idx = summarise && n > 2 * edge ? [...Array(edge).keys(), -1, ...Array.from({ length: edge }, (_, i) => n - edge + i)] : [...Array(n).keys()];
    if (dim === t.ndim - 1) return `[${idx.map((i) => (i < 0 ? '...' : fmt(flat[offset + i]))).join(', ')}]`;
    const sep = ',' + '\n'.repeat(t.ndim - dim - 1) + indent + ' ';
    return `[${idx.map((i) => (i < 0 ? '...' : render(dim + 1, offset + i * stride, indent + ' '))).join(sep)}]`;
  };
  const extras: string[] = [];
  if (t.size === 0) extras.push(`size=[${t.shape.join(', ')}]`);
  if (t.dtype !== 'float32') extras.push(`dtype=${t.dtype}`);
  if (t.gradFn) extras.push(`gradFn=<${t.gradFn.name}>`);
  else if (t.requiresGrad) extras.push('requiresGrad=true');
  const body = render(0, 0, '       ');
  return `tensor(${body}${extras.length ? ', ' + extras.join(', ') : ''})`;
}
