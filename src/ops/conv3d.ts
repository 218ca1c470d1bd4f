/**
 * 3-D convolutions composed from the 2-D ones (so both backends' conv2d kernels and their gradient rules
 * do the work). Input [N, C, D, H, W] (or unbatched [C, D, H, W]), weight [O, C/groups, kD, kH, kW].
 *   conv3d: the kD depth taps of every output depth position are gathered into the channel dim
 *     (channel c·kD + kd holds depth od·sD + kd·dD of channel c), so one grouped conv2d over the
 *     N·OD depth positions, with the weight viewed as [O, C/groups·kD, kH, kW], sums over C, kD, kH, kW.
 *   convTranspose3d: the adjoint: one grouped transposed conv2d of every input depth slice produces
 *     the kD depth taps as channels (o·kD + kd), which are summed into depth id·sD + kd·dD − pD.
 */
import type { FloatArray } from '../backend/interface.js';
import { kernels } from '../backend/registry.js';
import { recordAsOne } from '../autograd/fused.js';
import { needsGrad, record } from '../autograd/node.js';
import { shapeStr } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { checkFloat, checkTensor, empty } from './util.js';
import { conv2d, convTranspose2d, denseData, sizeList, type ConvOptions, type ConvTransposeOptions } from './conv.js';
import { pad } from './pad.js';
import { indexSelect } from './indexing.js';

/** The checks every 3-D convolution shares; returns the batched input, whether it was unbatched and groups. */
function convChecks(
  op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, groups: number | undefined, form: string,
): { xb: Tensor; unbatched: boolean; groups: number } {
  checkTensor(x, op);
  checkTensor(weight, op, 'weight');
  if (bias !== null && bias !== undefined) checkTensor(bias, op, 'bias');
  checkFloat(x, op);
  if (weight.dtype !== x.dtype) throw new Error(`${op}: expected input and weight to have the same dtype, got ${x.dtype} and ${weight.dtype}`);
  if (bias && bias.dtype !== x.dtype) throw new Error(`${op}: expected input and bias to have the same dtype, got ${x.dtype} and ${bias.dtype}`);
  if (weight.ndim !== 5) throw new Error(`${op}: expected a 5-D weight ${form}, got weight of shape ${shapeStr(weight.shape)}`);
  if (x.ndim !== 4 && x.ndim !== 5) {
    throw new Error(`${op}: expected a 5-D input [N, C, D, H, W] or unbatched [C, D, H, W], got input of shape ${shapeStr(x.shape)}`);
  }
  const g = groups ?? 1;
  if (!Number.isInteger(g) || g < 1) throw new Error(`${op}: groups must be a positive integer, got ${g}`);
  const unbatched = x.ndim === 4;
  return { xb: unbatched ? x.unsqueeze(0) : x, unbatched, groups: g };
}

/** 3-D cross-correlation, as torch.nn.functional.conv3d (input [N, C, D, H, W] or [C, D, H, W], weight [O, C/groups, kD, kH, kW]). */
export function conv3d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvOptions = {}): Tensor {
  const op = 'conv3d';
  const { xb, unbatched, groups } = convChecks(op, x, weight, bias, options.groups, '[outC, inC/groups, kD, kH, kW]');
  const [outC, cPerGroup, kD, kH, kW] = weight.shape;
  const inC = cPerGroup * groups;
  if (xb.shape[1] !== inC) {
    throw new Error(`${op}: expected input with ${inC} channels (weight ${shapeStr(weight.shape)}, groups ${groups}), got input of shape ${shapeStr(x.shape)}`);
  }
  if (outC % groups !== 0) throw new Error(`${op}: the weight's ${outC} output channels must be divisible by groups ${groups} (weight ${shapeStr(weight.shape)})`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outC)) {
    throw new Error(`${op}: expected bias of shape [${outC}] (weight ${shapeStr(weight.shape)}), got bias of shape ${shapeStr(bias.shape)}`);
  }
  const kernel = [kD, kH, kW];
  const stride = sizeList(options.stride, 1, 3, 'stride', op, 1);
  const dilation = sizeList(options.dilation, 1, 3, 'dilation', op, 1);
  const mode = options.padding;
  // Depth padding (left, right) goes through pad; height and width padding to conv2d.
  let depthPad: [number, number];
  let planePad: number[] | 'same';
  let padding: number[];
  if (mode === 'same') {
    if (stride.some((s) => s !== 1)) throw new Error(`${op}: padding 'same' is not supported for strided convolutions (stride ${shapeStr(stride)})`);
    // As PyTorch: total d·(k−1) per dim, an odd total puts the extra one on the right.
    const total = kernel.map((k, i) => dilation[i] * (k - 1));
    padding = total.map((t) => Math.floor(t / 2));
    depthPad = [padding[0], total[0] - padding[0]];
    planePad = 'same';
  } else if (typeof mode === 'string' && mode !== 'valid') {
    throw new Error(`${op}: padding must be a number, a list of numbers, 'same' or 'valid', got '${mode}'`);
  } else {
    padding = mode === 'valid' ? [0, 0, 0] : sizeList(mode, 0, 3, 'padding', op, 0);
    depthPad = [padding[0], padding[0]];
    planePad = padding.slice(1);
  }
  const [N, , D, H, W] = xb.shape;
  const padded = [D + depthPad[0] + depthPad[1], ...[H, W].map((n, i) => (mode === 'same' ? n + dilation[i + 1] * (kernel[i + 1] - 1) : n + 2 * padding[i + 1]))];
  const outSizes = padded.map((n, i) => Math.floor((n - dilation[i] * (kernel[i] - 1) - 1) / stride[i]) + 1);
  if (outSizes.some((o) => o < 1)) {
    const dilated = kernel.map((k, i) => dilation[i] * (k - 1) + 1);
    throw new Error(
      `${op}: the padded input size ${shapeStr(padded)} (input ${shapeStr(x.shape)}, padding ${shapeStr(padding)}) is smaller than ` +
        `the dilated kernel size ${shapeStr(dilated)}`,
    );
  }
  const OD = outSizes[0];
  const taps = new Int32Array(OD * kD);
  for (let od = 0; od < OD; od++) for (let kd = 0; kd < kD; kd++) taps[od * kD + kd] = od * stride[0] + kd * dilation[0];
  const index = new Tensor(taps, [taps.length]);
  const compose = (xi: Tensor, wi: Tensor, bi?: Tensor) => {
    const xp = depthPad[0] || depthPad[1] ? pad(xi, [0, 0, 0, 0, depthPad[0], depthPad[1]]) : xi;
    const columns = indexSelect(xp, 2, index).reshape([N, inC, OD, kD, H, W]).permute([0, 2, 1, 3, 4, 5]).reshape([N * OD, inC * kD, H, W]);
    const y = conv2d(columns, wi.reshape([outC, cPerGroup * kD, kH, kW]), bi ?? null, {
      stride: stride.slice(1), padding: planePad, dilation: dilation.slice(1), groups,
    });
    return y.reshape([N, OD, outC, outSizes[1], outSizes[2]]).permute([0, 2, 1, 3, 4]).contiguous();
  };
  // One ConvolutionBackward0 node as PyTorch's; an unbatched input is squeezed after it (SqueezeBackward1).
  const out = recordAsOne('ConvolutionBackward0', [xb, weight, bias], compose);
  return unbatched ? out.squeeze(0) : out;
}

/** out [..., n, ...] (dim 2) with out[:, :, index[j]] += x[:, :, j]: the adjoint of indexSelect along dim 2. */
function indexAddDepth(x: Tensor, index: Int32Array, n: number): Tensor {
  const shape = [...x.shape];
  shape[2] = n;
  const out = empty(shape, x.dtype);
  kernels().indexAdd(denseData(x), shape, 2, index, out.storage as FloatArray);
  if (!needsGrad(x)) return out;
  return record(out, 'IndexAddBackward0', [x], (g) => [indexSelect(g, 2, new Tensor(index, [index.length]))]);
}

/**
 * 3-D transposed convolution, as torch.nn.functional.conv_transpose3d: input [N, inC, D, H, W] (or unbatched),
 * weight [inC, outC/groups, kD, kH, kW]; output size (in−1)·stride − 2·padding + dilation·(k−1) + outputPadding + 1.
 */
export function convTranspose3d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTransposeOptions = {}): Tensor {
  const op = 'convTranspose3d';
  const { xb, unbatched, groups } = convChecks(op, x, weight, bias, options.groups, '[inC, outC/groups, kD, kH, kW]');
  const [inC, oPerGroup, kD, kH, kW] = weight.shape;
  const outC = oPerGroup * groups;
  if (xb.shape[1] !== inC) {
    throw new Error(`${op}: expected input with ${inC} channels (weight ${shapeStr(weight.shape)}, groups ${groups}), got input of shape ${shapeStr(x.shape)}`);
  }
  if (inC % groups !== 0) throw new Error(`${op}: the weight's ${inC} input channels must be divisible by groups ${groups} (weight ${shapeStr(weight.shape)})`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== outC)) {
    throw new Error(`${op}: expected bias of shape [${outC}] (weight ${shapeStr(weight.shape)}, groups ${groups}), got bias of shape ${shapeStr(bias.shape)}`);
  }
  if (typeof options.padding === 'string') throw new Error(`${op}: padding must be a number or a list of numbers, got '${options.padding}'`);
  const kernel = [kD, kH, kW];
  const stride = sizeList(options.stride, 1, 3, 'stride', op, 1);
  const padding = sizeList(options.padding, 0, 3, 'padding', op, 0);
  const outputPadding = sizeList(options.outputPadding, 0, 3, 'outputPadding', op, 0);
  const dilation = sizeList(options.dilation, 1, 3, 'dilation', op, 1);
  if (outputPadding.some((p, i) => p >= stride[i] && p >= dilation[i])) {
    throw new Error(
      `${op}: outputPadding must be smaller than either stride or dilation, got outputPadding ${shapeStr(outputPadding)}, ` +
        `stride ${shapeStr(stride)}, dilation ${shapeStr(dilation)}`,
    );
  }
  const [N, , D, H, W] = xb.shape;
  const outSizes = [D, H, W].map((n, i) => (n - 1) * stride[i] - 2 * padding[i] + dilation[i] * (kernel[i] - 1) + outputPadding[i] + 1);
  if (outSizes.some((o) => o < 1)) {
    throw new Error(`${op}: the output size ${shapeStr(outSizes)} is too small (input ${shapeStr(x.shape)}, weight ${shapeStr(weight.shape)}, padding ${shapeStr(padding)})`);
  }
  const [OD, OH, OW] = outSizes;
  // Input depth id with tap kd lands at id·sD + kd·dD of the uncropped output, then the padding is cropped.
  const taps = new Int32Array(D * kD);
  for (let id = 0; id < D; id++) for (let kd = 0; kd < kD; kd++) taps[id * kD + kd] = id * stride[0] + kd * dilation[0];
  const full = Math.max((D - 1) * stride[0] + dilation[0] * (kD - 1) + 1, padding[0] + OD);
  const compose = (xi: Tensor, wi: Tensor, bi?: Tensor) => {
    const slices = xi.permute([0, 2, 1, 3, 4]).reshape([N * D, inC, H, W]);
    const t = convTranspose2d(slices, wi.reshape([inC, oPerGroup * kD, kH, kW]), null, {
      stride: stride.slice(1), padding: padding.slice(1), outputPadding: outputPadding.slice(1), groups, dilation: dilation.slice(1),
    });
    const depthTaps = t.reshape([N, D, outC, kD, OH, OW]).permute([0, 2, 1, 3, 4, 5]).reshape([N, outC, D * kD, OH, OW]);
    let y = indexAddDepth(depthTaps, taps, full).narrow(2, padding[0], OD);
    y = bi ? y.add(bi.reshape([outC, 1, 1, 1])) : y.contiguous();
    return y;
  };
  const out = recordAsOne('ConvolutionBackward0', [xb, weight, bias], compose);
  return unbatched ? out.squeeze(0) : out;
}
