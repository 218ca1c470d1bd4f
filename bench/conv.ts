/**
 * Convolution throughput: Strata's native conv2d kernels (forward, backward-input, backward-weight; called
 * directly on the backend) against PyTorch (all three passes), onnxruntime-node (a Conv model, forward) and
 * TensorFlow.js (tf.conv2d / tf.depthwiseConv2d on its cpu and wasm backends, forward), at 1 and 2 threads,
 * with GFLOP/s as % of the FMA peak measured in the same run.
 *
 *   npm run bench -- conv [--set cifar] [--quick] [--threads 1,2] [--peers torch,ort,tfjs-cpu,tfjs-wasm|none] [--only TEXT] [--level avx2]
 *
 * Shapes: LeNet-5's two convolutions at batch 64, and ResNet-like layers (a 7×7 stem, 3×3 convolutions at three
 * widths, a strided 3×3, a 1×1; the full run adds a depthwise 3×3). FLOP = 2·N·C_out·H_out·W_out·(C_in/groups)·k²
 * for every pass. Float32, NCHW (tfjs: NHWC, its native layout).
 */
import type { Conv2dGeometry } from '../src/backend/interface.js';
import { requireNative, rnd, runKernelBench, type KernelCase } from './kernels.js';
import { arg } from './util.js';
import { onnxModel } from './peers.js';

const nb = requireNative();

const FWD_ONLY = 'forward only';

function convCases(name: string, n: number, inC: number, hw: number, outC: number, k: number, s: number, p: number, groups = 1): KernelCase[] {
  const outHW = Math.floor((hw + 2 * p - k) / s) + 1;
  const g: Conv2dGeometry = {
    n, inC, inH: hw, inW: hw, outC, outH: outHW, outW: outHW, kH: k, kW: k,
    strideH: s, strideW: s, padH: p, padW: p, dilationH: 1, dilationW: 1, groups,
  };
  const x = rnd(n * inC * hw * hw);
  const w = rnd((outC * inC * k * k) / groups);
  const y = new Float32Array(n * outC * outHW * outHW);
  const gy = rnd(y.length);
  const gx = new Float32Array(x.length);
  const gw = new Float32Array(w.length);
  const flops = 2 * n * outC * outHW * outHW * (inC / groups) * k * k;
  const torch = (pass: string) => ({ kind: 'conv', pass, n, inC, hw, outC, k, s, p, groups });
  const ort: KernelCase['ort'] = {
    model: () =>
      onnxModel({
        inputs: { X: [n, inC, hw, hw] },
        outputs: { Y: [n, outC, outHW, outHW] },
        initializers: { W: { shape: [outC, inC / groups, k, k], data: w } },
        nodes: [{
          op: 'Conv', inputs: ['X', 'W'], outputs: ['Y'],
          attrs: { kernel_shape: [k, k], strides: [s, s], pads: [p, p, p, p], dilations: [1, 1], group: groups },
        }],
      }),
    inputs: () => ({ X: { data: x, dims: [n, inC, hw, hw] } }),
  };
  const depthwise = groups > 1 && groups === inC && groups === outC;
  const tfjs: KernelCase['tfjs'] =
    groups > 1 && !depthwise
      ? 'grouped convolution (tfjs has depthwise only)'
      : (tf) => {
          const xt = tf.randomUniform([n, hw, hw, inC]) as import('@tensorflow/tfjs').Tensor4D;
          const wt = tf.randomUniform([k, k, inC, depthwise ? 1 : outC]) as import('@tensorflow/tfjs').Tensor4D;
          const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [p, p], [p, p], [0, 0]];
          return {
            run: () => {
              const out = depthwise ? tf.depthwiseConv2d(xt, wt, s, pad) : tf.conv2d(xt, wt, s, pad);
              out.dataSync();
              out.dispose();
            },
            dispose: () => tf.dispose([xt, wt]),
          };
        };
  return [
    { name, pass: 'fwd', flops, strata: () => nb.conv2d(x, w, null, g, y), torch: torch('fwd'), ort, tfjs },
    { name, pass: 'bwd-in', flops, strata: () => nb.conv2dBackwardInput(gy, w, g, gx), torch: torch('bwd-in'), ort: FWD_ONLY, tfjs: FWD_ONLY },
    { name, pass: 'bwd-w', flops, strata: () => nb.conv2dBackwardWeight(gy, x, g, gw), torch: torch('bwd-w'), ort: FWD_ONLY, tfjs: FWD_ONLY },
  ];
}

/** Every distinct convolution of the CIFAR ResNet-18 that `npm run bench -- resnet` runs, at its batch of 32. */
function cifarResnetCases(): KernelCase[] {
  const n = 32;
  return [
    ...convCases('stem 3→64 32² k3', n, 3, 32, 64, 3, 1, 1),
    ...convCases('64→64 32² k3', n, 64, 32, 64, 3, 1, 1),
    ...convCases('64→128 32² k3 s2', n, 64, 32, 128, 3, 2, 1),
    ...convCases('128→128 16² k3', n, 128, 16, 128, 3, 1, 1),
    ...convCases('128→256 16² k3 s2', n, 128, 16, 256, 3, 2, 1),
    ...convCases('256→256 8² k3', n, 256, 8, 256, 3, 1, 1),
    ...convCases('256→512 8² k3 s2', n, 256, 8, 512, 3, 2, 1),
    ...convCases('512→512 4² k3', n, 512, 4, 512, 3, 1, 1),
    ...convCases('shortcut 64→128 32² k1 s2', n, 64, 32, 128, 1, 2, 0),
    ...convCases('shortcut 128→256 16² k1 s2', n, 128, 16, 256, 1, 2, 0),
    ...convCases('shortcut 256→512 8² k1 s2', n, 256, 8, 512, 1, 2, 0),
  ];
}

await runKernelBench({
  title: 'Convolution, float32, NCHW: forward, backward-input, backward-weight',
  cases: (quick) => (arg('set') === 'cifar' ? cifarResnetCases() : [
    ...convCases('LeNet conv1 1→6 28² k5 p2 (n=64)', 64, 1, 28, 6, 5, 1, 2),
    ...convCases('LeNet conv2 6→16 14² k5 (n=64)', 64, 6, 14, 16, 5, 1, 0),
    ...convCases('conv 3→64 224² k7 s2 (n=1)', 1, 3, 224, 64, 7, 2, 3),
    ...convCases('conv 64→64 56² k3 (n=4)', 4, 64, 56, 64, 3, 1, 1),
    ...convCases('conv 128→128 28² k3 (n=8)', 8, 128, 28, 128, 3, 1, 1),
    ...convCases('conv 256→512 14² k3 s2 (n=8)', 8, 256, 14, 512, 3, 2, 1),
    ...convCases('conv 256→64 56² k1 (n=4)', 4, 256, 56, 64, 1, 1, 0),
    ...(quick ? [] : convCases('dwconv 96 56² k3 (n=8)', 8, 96, 56, 96, 3, 1, 1, 96)),
  ]),
  notes: ['ORT: the weights are a constant initializer (it may pre-pack them); times include copying Y out to JS.'],
});
process.exit(0);
