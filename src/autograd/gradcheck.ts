import { Tensor } from '../tensor/tensor.js';
import { rand } from '../tensor/creation.js';
import { grad } from './backward.js';
import { enableGrad, noGrad } from './grad-mode.js';

export interface GradcheckOptions {
  /** Finite-difference step. */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Return false instead of throwing on a mismatch. */
  raiseException?: boolean;
}

/**
 * Compare autograd's gradients of `fn` with central finite differences, as
 * torch.autograd.gradcheck does. Inputs that require grad must be float64.
 * Every output element is checked against every input element (the full Jacobian),
 * so keep the tensors small. Returns true, or throws describing the worst mismatch.
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], options: GradcheckOptions = {}): boolean {
  const { eps = 1e-6, atol = 1e-5, rtol = 1e-3, raiseException = true } = options;
  const wrt = inputs.filter((t) => t instanceof Tensor && t.requiresGrad);
  if (wrt.length === 0) throw new Error('gradcheck: no input has requiresGrad: true');
  for (const t of wrt) {
    if (t.dtype !== 'float64') throw new Error(`gradcheck: inputs requiring grad must be float64 for a meaningful check, got ${t.dtype}`);
    // A non-leaf never receives .grad, so its analytical Jacobian would read as zero.
    if (!t.isLeaf) throw new Error('gradcheck: inputs requiring grad must be leaves; build views of them inside fn');
    if (t.strides.some((s, d) => s === 0 && t.shape[d] > 1)) {
      throw new Error('gradcheck: an input requiring grad is expanded (several elements share memory); pass a contiguous copy');
    }
  }
  const run = (): Tensor[] => {
    const out = fn(...inputs);
    return Array.isArray(out) ? out : [out];
  };
  const outputs = run();
  const outSizes = outputs.map((o) => o.size);

  // Analytical Jacobian: one backward pass per output element.
  const analytical = wrt.map((t) => outputs.map((o) => new Float64Array(t.size * o.size)));
  outputs.forEach((out, oi) => {
    if (!out.requiresGrad) return;
    for (let j = 0; j < out.size; j++) {
      for (const t of wrt) t.grad = null;
      const seed = new Tensor(new Float64Array(out.size), out.shape);
      seed.storage[j] = 1;
      const fresh = run()[oi];
      if (!fresh.requiresGrad) continue;
      fresh.backward(seed.to(fresh.dtype));
      wrt.forEach((t, ti) => {
        const g = t.grad?.data();
        if (!g) return;
        for (let i = 0; i < t.size; i++) analytical[ti][oi][i * out.size + j] = g[i];
      });
    }
  });
  for (const t of wrt) t.grad = null;

  // Numerical Jacobian: perturb each input element in place.
  const failures: string[] = [];
  noGrad(() => {
    wrt.forEach((t, ti) => {
      const data = t.storage;
      for (let i = 0; i < t.size; i++) {
        const idx = storageIndex(t, i);
        const orig = data[idx];
        data[idx] = orig + eps;
        const plus = run().map((o) => o.to('float64').data().slice());
        data[idx] = orig - eps;
        const minus = run().map((o) => o.to('float64').data().slice());
        data[idx] = orig;
        outSizes.forEach((n, oi) => {
          for (let j = 0; j < n; j++) {
            const numerical = (plus[oi][j] - minus[oi][j]) / (2 * eps);
            const a = analytical[ti][oi][i * n + j];
            if (!(Math.abs(a - numerical) <= atol + rtol * Math.abs(numerical))) {
              failures.push(`input ${inputs.indexOf(t)} element ${i}, output ${oi} element ${j}: analytical ${a}, numerical ${numerical}`);
            }
          }
        });
      }
    });
  });
  if (failures.length) {
    if (!raiseException) return false;
    throw new Error(`gradcheck: Jacobian mismatch in ${failures.length} entries, e.g.\n  ${failures.slice(0, 5).join('\n  ')}`);
  }
  return true;
}

/**
 * Check second derivatives, as torch.autograd.gradgradcheck: gradcheck of the map
 * (inputs, gradOutputs) → the gradients of fn's outputs with respect to the inputs, computed with
 * createGraph. `gradOutputs` (one per output, float64, requiresGrad) default to uniform values in
 * [−1, 1) drawn from the default generator.
 */
export function gradgradcheck(
  fn: (...inputs: Tensor[]) => Tensor | Tensor[], inputs: Tensor[], gradOutputs?: Tensor | Tensor[] | null, options: GradcheckOptions = {},
): boolean {
  const asList = (out: Tensor | Tensor[]): Tensor[] => (Array.isArray(out) ? out : [out]);
  const wrt = inputs.filter((t) => t instanceof Tensor && t.requiresGrad);
  if (wrt.length === 0) throw new Error('gradgradcheck: no input has requiresGrad: true');
  const seeds = gradOutputs
    ? asList(gradOutputs)
    : asList(fn(...inputs)).map((o) => rand(o.shape, { dtype: 'float64' }).mul(2).sub(1).requiresGrad_(true));
  // Recorded even while gradcheck perturbs inputs under noGrad: the first derivatives need a graph.
  const firstOrder = (...args: Tensor[]): Tensor[] => enableGrad(() => {
    const ins = args.slice(0, inputs.length);
    const outs = asList(fn(...ins));
    const grads = grad(outs, ins.filter((t) => t instanceof Tensor && t.requiresGrad), {
      gradOutputs: args.slice(inputs.length), createGraph: true, allowUnused: true,
    });
    return grads.filter((g): g is Tensor => g !== null);
  });
  return gradcheck(firstOrder, [...inputs, ...seeds], options);
}

/** Where the i-th element (row-major) of a possibly non-contiguous tensor lives in its storage. */
function storageIndex(t: Tensor, i: number): number {
  let offset = t.offset;
  for (let d = t.ndim - 1; d >= 0; d--) {
    const k = i % t.shape[d];
    i = (i - k) / t.shape[d];
    offset += k * t.strides[d];
  }
  return offset;
}
