/** Activation functions with their gradients (exposed as st.F.* and as nn modules). */
import { recordAsOne } from '../autograd/fused.js';
import { noGrad } from '../autograd/grad-mode.js';
import { needsGrad, record } from '../autograd/node.js';
import { checkFloat, checkTensor } from './util.js';
import { shapeStr } from '../tensor/shape.js';
import { scalarOp, unaryOp, where } from './unary.js';
import type { Tensor } from '../tensor/tensor.js';

const SQRT_2PI = Math.sqrt(2 * Math.PI);
const GELU_TANH_C = Math.sqrt(2 / Math.PI);

function floatInput(x: Tensor, op: string): Tensor {
  checkTensor(x, op);
  checkFloat(x, op);
  return x;
}

export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return scalarOp('leakyRelu', 'leakyRelu', floatInput(x, 'leakyRelu'), negativeSlope, 0, (g, v) =>
    // Select as PyTorch's x > 0 ? g : g·slope (an arithmetic mix of 1 and the slope gives NaN for an infinite one).
    where(v.gt(0), g, g.mul(negativeSlope)),
  );
}

export function elu(x: Tensor, alpha = 1): Tensor {
  // PyTorch's elu_backward: g·alpha·exp(x) for x ≤ 0 (not out + alpha, which is NaN for an infinite alpha).
  return scalarOp('elu', 'elu', floatInput(x, 'elu'), alpha, 0, (g, v) => where(v.gt(0), g, g.mul(alpha).mul(v.exp())));
}

/** SELU: scale·elu(x, alpha) with the self-normalising constants. */
export function selu(x: Tensor): Tensor {
  // torch's selu is elu with a scale: one EluBackward0 node.
  return recordAsOne('EluBackward0', [x], (xi) => elu(xi, 1.6732632423543772).mul(1.0507009873554805));
}

/** Exact GELU x·Φ(x), or its tanh approximation with approximate: 'tanh'. */
export function gelu(x: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  const input = floatInput(x, 'gelu');
  if ((options.approximate ?? 'none') === 'tanh') {
    return unaryOp('geluTanh', 'gelu', input, 'same', (g, v) => {
      const inner = v.add(v.pow(3).mul(0.044715)).mul(GELU_TANH_C);
      const t = inner.tanh();
      const dInner = v.square().mul(3 * 0.044715).add(1).mul(GELU_TANH_C);
      return g.mul(t.add(1).mul(0.5).add(v.mul(0.5).mul(t.square().neg().add(1)).mul(dInner)));
    });
  }
  return unaryOp('gelu', 'gelu', input, 'same', (g, v) => {
    const cdf = v.mul(Math.SQRT1_2).erf().add(1).mul(0.5);
    const pdf = v.square().mul(-0.5).exp().div(SQRT_2PI);
    return g.mul(cdf.add(v.mul(pdf)));
  });
}

export function silu(x: Tensor): Tensor {
  return unaryOp('silu', 'silu', floatInput(x, 'silu'), 'same', (g, v) => {
    const s = v.sigmoid();
    return g.mul(s.mul(v.mul(s.neg().add(1)).add(1)));
  });
}

export function mish(x: Tensor): Tensor {
  return unaryOp('mish', 'mish', floatInput(x, 'mish'), 'same', (g, v) => {
    const t = softplus(v).tanh();
    return g.mul(t.add(v.mul(v.sigmoid()).mul(t.square().neg().add(1))));
  });
}

/** log(1 + exp(beta·x))/beta, linear where beta·x > threshold (PyTorch's defaults 1 and 20). */
export function softplus(x: Tensor, options: { beta?: number; threshold?: number } = {}): Tensor {
  const beta = options.beta ?? 1;
  const threshold = options.threshold ?? 20;
  return scalarOp('softplusBeta', 'softplus', floatInput(x, 'softplus'), beta, threshold, (g, v) => {
    const z = v.mul(beta);
    return g.mul(where(z.gt(threshold), 1, z.sigmoid()));
  });
}

export function hardswish(x: Tensor): Tensor {
  return unaryOp('hardswish', 'hardswish', floatInput(x, 'hardswish'), 'same', (g, v) =>
    g.mul(where(v.lt(-3), 0, where(v.le(3), v.div(3).add(0.5), 1))),
  );
}

export function hardsigmoid(x: Tensor): Tensor {
  return unaryOp('hardsigmoid', 'hardsigmoid', floatInput(x, 'hardsigmoid'), 'same', (g, v) =>
    g.mul(where(v.gt(-3).logicalAnd(v.lt(3)), 1 / 6, 0)),
  );
}

export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  // Integer inputs are clamped to the bounds truncated to integers, as PyTorch.
  if (checkTensor(x, 'hardtanh').dtype === 'int32') return x.clamp(Math.trunc(minVal), Math.trunc(maxVal));
  return scalarOp('hardtanh', 'hardtanh', floatInput(x, 'hardtanh'), minVal, maxVal, (g, v) =>
    g.maskedFill(v.le(minVal).logicalOr(v.ge(maxVal)), 0),
  );
}

export function relu6(x: Tensor): Tensor {
  return hardtanh(x, 0, 6);
}

/** value where x ≤ threshold, else x (NaN stays NaN); integer inputs take both numbers truncated, as PyTorch. */
export function threshold(x: Tensor, thresholdValue: number, value: number): Tensor {
  checkTensor(x, 'threshold');
  if (x.dtype === 'int32') return where(x.le(Math.trunc(thresholdValue)), Math.trunc(value), x);
  checkFloat(x, 'threshold');
  const out = scalarOp('threshold', 'threshold', x, thresholdValue, value);
  if (!needsGrad(x)) return out;
  return record(out, 'ThresholdBackward0', [x], (g) => [g.maskedFill(x.le(thresholdValue), 0)]);
}

/** Leaky ReLU with a learned slope per channel (dim 1) or one shared slope. */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  floatInput(x, 'prelu');
  if (weight.ndim > 1) throw new Error(`prelu: weight must be 1-D, got shape ${shapeStr(weight.shape)}`);
  // As PyTorch, the slopes must have the input's dtype (no promotion).
  if (weight.dtype !== x.dtype) throw new Error(`prelu: expected weight of the input's dtype ${x.dtype}, got ${weight.dtype}`);
  const channels = weight.size;
  if (channels !== 1 && (x.ndim < 2 || x.shape[1] !== channels)) {
    throw new Error(`prelu: weight has ${channels} slopes but the input has ${x.ndim < 2 ? 'no channel dimension' : x.shape[1] + ' channels'} (shape ${shapeStr(x.shape)})`);
  }
  return recordAsOne('PreluBackward0', [x, weight], (xi, wi) => {
    const slopeOf = channels === 1 ? wi.reshape([]) : wi.reshape([channels, ...Array(x.ndim - 2).fill(1)]);
    // The slope branch sees 0 where x > 0, so that x = +inf gives the weight a 0 gradient (not 0·inf), as PyTorch.
    const positive = xi.gt(0);
    return where(positive, xi, where(positive, 0, xi).mul(slopeOf));
  });
}

export function logSigmoid(x: Tensor): Tensor {
  return recordAsOne('LogSigmoidBackward0', [x], (xi) => softplus(xi.neg()).neg());
}

export function softsign(x: Tensor): Tensor {
  return x.div(x.abs().add(1));
}

export function tanhshrink(x: Tensor): Tensor {
  return x.sub(x.tanh());
}
