// Inference-time fusion of Conv2d → BatchNorm2d → activation (src/nn/fusion.ts): fused runs give, to the bit,
// what the modules give one after another; every case where fusing would not be exact runs the modules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import { convBnAct } from '../../src/nn/fusion.js';
import type { Module } from '../../src/nn/module.js';
import type { Tensor } from '../../src/tensor/tensor.js';

/** A batch norm with statistics and affine parameters far from the identity. */
function trainedBn(channels: number, options: ConstructorParameters<typeof nn.BatchNorm2d>[1] = {}): nn.BatchNorm2d {
  const bn = new nn.BatchNorm2d(channels, options);
  st.noGrad(() => {
    bn.runningMean?.copy_(st.randn([channels]));
    bn.runningVar?.copy_(st.rand([channels]).add(0.2));
    bn.weight?.copy_(st.randn([channels]).mul(2));
    bn.bias?.copy_(st.randn([channels]));
  });
  return bn.eval();
}

/** The modules one after another (Sequential's forward without fusion). */
function oneByOne(modules: Module[], x: Tensor): Tensor {
  return modules.reduce((y, m) => m.forward(y) as Tensor, x);
}

const FUSABLE = [nn.BatchNorm2d, nn.ReLU, nn.ReLU6, nn.SiLU, nn.Hardswish, nn.Hardtanh];

/** Calls of the classes' own forward methods while fn runs (none of BatchNorm2d's and the activations' when fused). */
function moduleCalls<T>(fn: () => T, classes: readonly { prototype: Module }[] = FUSABLE): [T, number] {
  const saved = classes.map((c) => Object.getOwnPropertyDescriptor(c.prototype, 'forward'));
  let calls = 0;
  for (const c of classes) {
    const inner = c.prototype.forward;
    const counted = function (this: Module, ...args: unknown[]) {
      calls++;
      return inner.apply(this, args);
    };
    Object.defineProperty(c.prototype, 'forward', { value: counted, writable: true, configurable: true });
  }
  try {
    return [fn(), calls];
  } finally {
    classes.forEach((c, i) => (saved[i] ? Object.defineProperty(c.prototype, 'forward', saved[i]!) : delete (c.prototype as any).forward));
  }
}

function assertSame(got: Tensor, want: Tensor, label: string): void {
  assert.deepEqual(got.shape, want.shape, label);
  const a = got.data(), b = want.data();
  for (let i = 0; i < a.length; i++) assert.ok(Object.is(a[i], b[i]), `${label}: [${i}] ${a[i]} vs ${b[i]}`);
}

const x = () => st.randn([2, 4, 11, 9]).mul(3);

const fusedCases: [string, () => Module[]][] = [
  ['conv → bn → ReLU', () => [new nn.Conv2d(4, 6, 3, { padding: 1, bias: false }), trainedBn(6), new nn.ReLU({ inplace: true })]],
  ['conv → bn → ReLU6', () => [new nn.Conv2d(4, 6, 3, { stride: 2 }), trainedBn(6), new nn.ReLU6()]],
  ['conv → bn → SiLU (depthwise)', () => [new nn.Conv2d(4, 4, 3, { padding: 1, groups: 4, bias: false }), trainedBn(4), new nn.SiLU()]],
  ['conv → bn → Hardswish (1×1)', () => [new nn.Conv2d(4, 8, 1, { bias: false }), trainedBn(8), new nn.Hardswish()]],
  ['conv → bn → Hardtanh(0, 6)', () => [new nn.Conv2d(4, 6, 3, { dilation: 2, padding: 2 }), trainedBn(6), new nn.Hardtanh({ minVal: 0, maxVal: 6 })]],
  ['conv → bn (no activation)', () => [new nn.Conv2d(4, 6, [3, 1], { padding: 'same' }), trainedBn(6)]],
  ['conv → bn without affine parameters → ReLU', () => [new nn.Conv2d(4, 6, 3), trainedBn(6, { affine: false }), new nn.ReLU()]],
  ['conv → ReLU (no batch norm)', () => [new nn.Conv2d(4, 6, 5, { padding: 2 }), new nn.ReLU()]],
  ['grouped conv → bn → SiLU', () => [new nn.Conv2d(4, 6, 3, { groups: 2 }), trainedBn(6), new nn.SiLU()]],
];
for (const [name, make] of fusedCases) {
  test(`fusion: ${name} in evaluation under noGrad runs as one fused convolution, equal to the modules to the bit`, () => {
    const modules = make();
    const input = x();
    const want = st.noGrad(() => oneByOne(modules, input));
    const [got, calls] = moduleCalls(() => st.noGrad(() => new nn.Sequential(...modules).forward(input)));
    assert.equal(calls, 0, 'the batch norm and activation modules did not run');
    assertSame(got, want, name);
    const double = modules.map((m) => m.double());
    assertSame(st.noGrad(() => new nn.Sequential(...double).forward(input.double())), st.noGrad(() => oneByOne(double, input.double())), `${name} (float64)`);
  });
}

test('fusion: a Sequential runs every conv → bn → activation stretch fused and the other modules as they are', () => {
  const modules = [
    new nn.Conv2d(4, 6, 3, { padding: 1 }), trainedBn(6), new nn.ReLU(), new nn.MaxPool2d(2),
    new nn.Conv2d(6, 5, 1), trainedBn(5), new nn.Sigmoid(), new nn.Conv2d(5, 3, 3), new nn.ReLU6(),
    new nn.Conv2d(3, 3, 1), trainedBn(3), new nn.LeakyReLU(),
  ];
  const input = x();
  const [got, calls] = moduleCalls(() => st.noGrad(() => new nn.Sequential(...modules).forward(input)));
  assert.equal(calls, 0);
  assertSame(got, st.noGrad(() => oneByOne(modules, input)), 'mixed Sequential');
});

test('fusion: convBnAct (the model blocks\' helper) fuses with or without a batch norm or an activation', () => {
  const conv = new nn.Conv2d(4, 6, 3);
  const bn = trainedBn(6);
  const relu = new nn.ReLU();
  const input = x();
  const cases: [string, Module | null, Module | null][] = [['bn and act', bn, relu], ['bn only', bn, null], ['act only', null, relu]];
  for (const [name, b, a] of cases) {
    const [got, calls] = moduleCalls(() => st.noGrad(() => convBnAct(input, conv, b, a)));
    assert.equal(calls, 0, name);
    assertSame(got, st.noGrad(() => oneByOne([conv, b, a].filter((m): m is Module => m !== null), input)), name);
  }
});

// Where fusing would not compute what the modules compute, they run one by one.
const unfusedCases: [string, () => Module[], (mods: Module[], input: Tensor) => Tensor, number][] = [
  ['training mode (batch statistics, running statistics updated)', () => [new nn.Conv2d(4, 6, 3), trainedBn(6).train(), new nn.ReLU()],
    (mods, input) => st.noGrad(() => new nn.Sequential(...mods).forward(input)), 2],
  ['gradients enabled with parameters that require them', () => [new nn.Conv2d(4, 6, 3), trainedBn(6), new nn.ReLU()],
    (mods, input) => new nn.Sequential(...mods).forward(input), 2],
  ['a batch norm without running statistics (batch statistics in evaluation too)', () => [new nn.Conv2d(4, 6, 3), trainedBn(6, { trackRunningStats: false }), new nn.SiLU()],
    (mods, input) => st.noGrad(() => new nn.Sequential(...mods).forward(input)), 2],
  ["a padding mode other than 'zeros'", () => [new nn.Conv2d(4, 6, 3, { padding: 1, paddingMode: 'reflect' }), trainedBn(6), new nn.ReLU()],
    (mods, input) => st.noGrad(() => new nn.Sequential(...mods).forward(input)), 2],
];
for (const [name, make, run, expectedCalls] of unfusedCases) {
  test(`fusion: not applied for ${name}; the result is the modules'`, () => {
    const mods = make();
    const twin = make();
    twin.forEach((m, i) => m.loadStateDict(mods[i].stateDict()));
    twin.forEach((m, i) => (mods[i].training ? m.train() : m.eval()));
    const input = x();
    const [got, calls] = moduleCalls(() => run(mods, input));
    assert.ok(calls >= expectedCalls, `modules ran (${calls} calls)`);
    const want = st.noGrad(() => oneByOne(twin, input));
    assertSame(got.detach(), want, name);
    mods.forEach((m, i) => {
      for (const [k, v] of m.stateDict()) assertSame(v, twin[i].stateDict().get(k)!, `${name}: ${k}`);
    });
  });
}

test('fusion: not applied when a hook or a replaced forward must see the intermediate results', () => {
  const conv = new nn.Conv2d(4, 6, 3);
  const bn = trainedBn(6);
  const act = new nn.ReLU();
  const input = x();
  const seen: Tensor[] = [];
  const handle = bn.registerForwardHook((_m, inputs) => void seen.push(inputs[0] as Tensor));
  const out = st.noGrad(() => new nn.Sequential(conv, bn, act).forward(input));
  assert.equal(seen.length, 1, 'the forward hook ran');
  assertSame(seen[0], st.noGrad(() => conv.forward(input)), 'the hook saw the convolution output');
  assertSame(out, st.noGrad(() => oneByOne([conv, bn, act], input)), 'hooked output');
  handle.remove();
  const relu = new nn.ReLU();
  relu.forward = (t: Tensor) => t.neg();
  assertSame(st.noGrad(() => new nn.Sequential(conv, bn, relu).forward(input)), st.noGrad(() => bn.forward(conv.forward(input)).neg()), 'replaced forward');
});

test('fusion: gradients still flow where an input requires one (Grad-CAM style evaluation)', () => {
  const mods = [new nn.Conv2d(4, 6, 3), trainedBn(6), new nn.SiLU()];
  for (const p of mods.flatMap((m) => m.parameters())) p.requiresGrad = false;
  const input = x().requiresGrad_();
  new nn.Sequential(...mods).forward(input).sum().backward();
  const viaSequential = input.grad!;
  input.grad = null;
  oneByOne(mods, input).sum().backward();
  assertSame(viaSequential, input.grad!, 'input gradient');
});

test('fusion: torchvision models in evaluation give the same outputs fused (noGrad) and unfused', () => {
  for (const name of ['resnet18', 'mobilenet_v2', 'efficientnet_b0']) {
    const model = st.models.create(name).eval();
    st.noGrad(() => {
      for (const [key, b] of model.namedBuffers()) {
        if (key.endsWith('running_mean')) b.copy_(st.randn(b.shape).mul(0.1));
        if (key.endsWith('running_var')) b.copy_(st.rand(b.shape).add(0.5));
      }
    });
    const input = st.randn([1, 3, 64, 64]);
    const [fused, calls] = moduleCalls(() => st.noGrad(() => model.forward(input)), [nn.BatchNorm2d]);
    const plain = model.forward(input).detach();
    assert.equal(calls, 0, `${name}: every batch norm folded into its convolution`);
    const a = fused.data(), b = plain.data();
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-6 + 1e-5 * Math.abs(b[i]), `${name}: [${i}] ${a[i]} vs ${b[i]}`);
  }
});

// nn.utils.fusion against torch.nn.utils.fusion (test/fixtures/fusion.json, tools/fixtures/fusion.py).
interface Spec { shape: number[]; data: number[] }
interface FusionCase {
  name: string; layer: Record<string, Spec>; bn: Record<string, Spec>; transpose: boolean; x: Spec;
  fused: Record<string, Spec>; output: Spec; unfused: number[]; repr: string;
}
const fusionFixture = JSON.parse(readFileSync(new URL('../fixtures/fusion.json', import.meta.url), 'utf8')) as { cases: FusionCase[] };
const fromSpec = (s: Spec): Tensor => st.tensor(s.data).reshape(s.shape);
const layerOf: Record<string, () => [Module, nn.BatchNorm1d | nn.BatchNorm2d]> = {
  'Conv2d with bias → BatchNorm2d': () => [new nn.Conv2d(3, 4, 3, { padding: 1 }), new nn.BatchNorm2d(4)],
  'Conv2d without bias → BatchNorm2d': () => [new nn.Conv2d(4, 6, 1, { bias: false, groups: 2 }), new nn.BatchNorm2d(6)],
  'Conv2d → BatchNorm2d without affine': () => [new nn.Conv2d(2, 3, 2, { stride: 2 }), new nn.BatchNorm2d(3, { affine: false })],
  'Conv1d → BatchNorm1d': () => [new nn.Conv1d(3, 5, 3), new nn.BatchNorm1d(5)],
  'ConvTranspose2d → BatchNorm2d (transpose)': () => [new nn.ConvTranspose2d(3, 4, 3, { stride: 2 }), new nn.BatchNorm2d(4)],
  'Linear → BatchNorm1d': () => [new nn.Linear(6, 4), new nn.BatchNorm1d(4)],
  'Linear without bias → BatchNorm1d': () => [new nn.Linear(5, 3, { bias: false }), new nn.BatchNorm1d(3)],
};
const close = (got: Tensor, want: ArrayLike<number>, label: string) => {
  const a = got.data();
  assert.equal(a.length, want.length, label);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - want[i]) <= 1e-6 + 1e-5 * Math.abs(want[i]), `${label}: [${i}] ${a[i]} vs ${want[i]}`);
};

for (const c of fusionFixture.cases) {
  test(`nn.utils.fusion: ${c.name} folds as torch.nn.utils.fusion (weights, bias, output, printing)`, () => {
    const [layer, bn] = layerOf[c.name]();
    layer.loadStateDict(Object.fromEntries(Object.entries(c.layer).map(([k, v]) => [k, fromSpec(v)])));
    bn.loadStateDict(Object.fromEntries(Object.entries(c.bn).map(([k, v]) => [k, k === 'num_batches_tracked' ? st.tensor(v.data[0], { dtype: 'int32' }) : fromSpec(v)])));
    layer.eval();
    bn.eval();
    const seed = st.getRngState();
    const fused = layer instanceof nn.Linear ? nn.utils.fusion.fuseLinearBnEval(layer, bn) : nn.utils.fuseConvBnEval(layer as nn.Conv2d, bn, c.transpose);
    assert.deepEqual(st.getRngState(), seed, 'the RNG is untouched, as deepcopy leaves it');
    assert.equal(fused.training, false);
    assert.equal(fused.toString(), c.repr);
    for (const [k, v] of Object.entries(c.fused)) close(fused.stateDict().get(k)!, v.data, `${c.name}: ${k}`);
    const x = fromSpec(c.x);
    close(st.noGrad(() => fused.forward(x) as Tensor), c.output.data, `${c.name}: output`);
    close(st.noGrad(() => bn.forward(layer.forward(x) as Tensor)), c.unfused, `${c.name}: unfused output`);
    assert.ok(fused.weight.requiresGrad && fused.bias!.requiresGrad, 'fresh parameters');
  });
}

test('nn.utils.fusion: layers or batch norms in training mode are refused, as PyTorch asserts', () => {
  assert.throws(() => nn.utils.fuseConvBnEval(new nn.Conv2d(2, 3, 1), new nn.BatchNorm2d(3).eval()), /fuseConvBnEval: fusion only for eval/);
  assert.throws(() => nn.utils.fusion.fuseLinearBnEval(new nn.Linear(2, 3).eval(), new nn.BatchNorm1d(3)), /fuseLinearBnEval: fusion only for eval/);
});
