/**
 * PyTorch 1.13 / torchvision 0.14 parity of the nn.Module API found by the module audit
 * (tools/fixtures/audit_module.py writes test/fixtures/audit_module.json): parameter/buffer/module traversal
 * with shared members, stateDict keys, loadStateDict results and error messages, the container operations
 * (Sequential, ModuleList, ModuleDict), forward hooks, print(model) of layers, containers and zoo models.
 * Each scenario is rebuilt here with the same modules. Runs once per backend (test/select-backend.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import type { Tensor } from '../../src/index.js';
import * as models from '../../src/models/index.js';
import { fastInit } from '../models/helpers.js';

type Json = any;
const fixture: { torch: string; scenarios: Record<string, Json> } = JSON.parse(
  readFileSync(new URL('../fixtures/audit_module.json', import.meta.url), 'utf8'),
);
const S = fixture.scenarios;

const names = (pairs: [string, unknown][]): string[] => pairs.map(([n]) => n);
const keys = (m: nn.Module): string[] => [...m._modules.keys()];
const kinds = (m: nn.Module): string[] => [...m._modules.values()].map((c) => c!.getName());
const both = (m: nn.Module): [string[], string[]] => [keys(m), kinds(m)];

class Net extends nn.Module {
  a: nn.Linear;
  b: nn.Linear;
  seq: nn.Sequential;
  w: nn.Parameter;
  empty: null;
  constructor() {
    super();
    this.a = new nn.Linear(2, 3);
    this.b = this.a;
    this.seq = new nn.Sequential(this.a, new nn.ReLU(), new nn.BatchNorm1d(3));
    this.registerBuffer('nb', st.zeros([2]), { persistent: false });
    this.registerBuffer('pb', st.ones([1]));
    this.w = new nn.Parameter(st.zeros([3]));
    this.empty = null;
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

test('shared modules and parameters: traversal, stateDict, apply, train/eval, print (torch 1.13)', () => {
  const e = S.shared;
  const net = new Net();
  assert.deepEqual(names(net.namedParameters()), e.namedParameters);
  assert.deepEqual(names(net.namedParameters({ prefix: 'p', recurse: false })), e.namedParametersPrefixNoRecurse);
  assert.deepEqual(names(net.namedParameters({ prefix: 'p' })), e.namedParametersPrefix);
  assert.equal(net.parameters().length, e.parameters);
  assert.deepEqual(names(net.namedBuffers()), e.namedBuffers);
  assert.equal(net.buffers(false).length, e.buffersNoRecurse);
  assert.deepEqual(names(net.namedChildren()), e.namedChildren);
  assert.deepEqual(names(net.namedModules()), e.namedModules);
  assert.deepEqual(names(net.namedModules('m')), e.namedModulesPrefix);
  assert.deepEqual([...net.stateDict().keys()], e.stateDict);
  assert.deepEqual([...net.stateDict({ prefix: 'x.' }).keys()], e.stateDictPrefix);
  const order: string[] = [];
  net.apply((m) => order.push(m.getName()));
  assert.deepEqual(order, e.applyOrder);
  net.seq.eval();
  assert.deepEqual(net.modules().map((m) => m.training), e.trainingAfterSeqEval);
  net.train();
  assert.deepEqual(net.modules().map((m) => m.training), e.trainingAfterTrain);
  assert.equal(net.toString(), e.repr);
});

const seqModel = (): nn.Sequential => new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3));

function load(model: nn.Module, sd: Map<string, Tensor>, strict: boolean): Json {
  try {
    return { ...model.loadStateDict(sd, { strict }) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

test('loadStateDict: missing/unexpected keys (torch order) and error messages (torch 1.13)', () => {
  const e = S.load;
  const full = seqModel().stateDict();
  const partial = new Map([...full].filter(([k]) => k !== '0.bias'));
  const extra = new Map<string, Tensor>([['0.foo', st.zeros([1])], ...full, ['bar', st.zeros([1])], ['1.running_mean.x', st.zeros([1])]]);
  const wrong = new Map(full);
  wrong.set('0.weight', st.zeros([2, 3]));
  const got = {
    full: load(seqModel(), full, true),
    missingStrict: load(seqModel(), partial, true),
    missingLoose: load(seqModel(), partial, false),
    unexpectedStrict: load(seqModel(), extra, true),
    unexpectedLoose: load(seqModel(), extra, false),
    bothStrict: load(seqModel(), new Map([...partial, ['zz', st.zeros([1])]]), true),
  };
  for (const [k, v] of Object.entries(got)) assert.deepEqual(v, e[k], k);
  // torch prints shapes as torch.Size([2, 3]); Strata as [2, 3]: same message otherwise.
  const shape = load(seqModel(), wrong, false);
  assert.equal(shape.error, e.shapeLoose.error.replaceAll(/torch\.Size\((\[[^\]]*\])\)/g, '$1'));
  const np = new (class extends nn.Module {
    forward(): void {}
  })();
  np.registerBuffer('keep', st.zeros([1]));
  np.registerBuffer('tmp', st.zeros([1]), { persistent: false });
  assert.deepEqual([...np.stateDict().keys()], e.nonPersistentKeys);
  assert.deepEqual(load(np, new Map([['keep', st.zeros([1])], ['tmp', st.zeros([1])]]), false), e.nonPersistent);
});

test('Sequential: slicing, negative index, append/insert/extend/pop/delete renumbering (torch 1.13)', () => {
  const e = S.sequential;
  const s = new nn.Sequential(new nn.ReLU(), new nn.Tanh(), new nn.Sigmoid());
  assert.deepEqual(keys(s.slice(1)), e.sliceKeys);
  assert.equal(s.slice(1).getName(), e.sliceType);
  assert.equal(s.at(-1).getName(), e.negative);
  s.append(new nn.ELU());
  assert.deepEqual(both(s), e.append);
  s.insert(1, new nn.GELU());
  assert.deepEqual(both(s), e.insert);
  s.insert(-2, new nn.SiLU());
  assert.deepEqual(both(s), e.insertNegative);
  s.extend([new nn.Softplus(), new nn.Identity()]);
  assert.deepEqual(both(s), e.extend);
  assert.equal(s.pop(2).getName(), e.pop);
  assert.deepEqual(both(s), e.afterPop);
  s.delete(-1);
  assert.deepEqual(both(s), e.afterDel);
  const named = new nn.Sequential(new Map<string, nn.Module>([['conv', new nn.Conv2d(1, 2, 3)], ['act', new nn.ReLU()], ['pool', new nn.MaxPool2d(2)]]));
  assert.deepEqual(keys(named.slice(1)), e.namedSliceKeys);
  named.delete(0);
  assert.deepEqual(keys(named), e.namedAfterDel);
  named.append(new nn.Flatten());
  assert.deepEqual(keys(named), e.namedAppend);
  assert.equal(named.length, e.len);
  assert.throws(() => s.insert(99, new nn.ReLU()), /out of range/);
});

test('ModuleList: slicing renumbers, insert/pop/delete/extend (torch 1.13)', () => {
  const e = S.moduleList;
  const l = new nn.ModuleList([new nn.ReLU(), new nn.Tanh(), new nn.Sigmoid(), new nn.ELU()]);
  const sl = l.slice(1, 3);
  assert.deepEqual(keys(sl), e.sliceKeys);
  assert.deepEqual(kinds(sl), e.sliceKinds);
  assert.equal(sl.getName(), e.sliceType);
  l.insert(1, new nn.GELU());
  assert.deepEqual(both(l), e.insert);
  assert.equal(l.pop(0).getName(), e.pop);
  assert.deepEqual(both(l), e.afterPop);
  l.delete(-1);
  assert.deepEqual(both(l), e.afterDel);
  l.extend([new nn.SiLU()]);
  assert.deepEqual(both(l), e.extend);
  assert.equal(l.length, e.len);
});

test('ModuleDict: update keeps positions, pop, clear, print (torch 1.13)', () => {
  const e = S.moduleDict;
  const d = new nn.ModuleDict(new Map<string, nn.Module>([['b', new nn.ReLU()], ['a', new nn.Tanh()]]));
  d.update(new Map<string, nn.Module>([['c', new nn.Sigmoid()], ['b', new nn.ELU()]]));
  assert.deepEqual([d.keys(), d.values().map((m) => m.getName()), d.items().map(([k]) => k)], e.update);
  assert.equal(d.pop('a').getName(), e.pop);
  assert.deepEqual(d.keys(), e.afterPop);
  assert.equal(d.toString(), e.repr);
  d.clear();
  assert.deepEqual(d.keys(), e.afterClear);
});

test('print(model) of nested containers and common layers (torch 1.13)', () => {
  const e = S.print;
  const container = new nn.Sequential(new Map<string, nn.Module>([
    ['stem', new nn.Sequential(new nn.Conv2d(3, 8, 3, { stride: 2, padding: 1, bias: false }), new nn.BatchNorm2d(8), new nn.ReLU({ inplace: true }))],
    ['blocks', new nn.ModuleList([new nn.MaxPool2d(3, { stride: 2, padding: 1 }), new nn.Dropout(0.25)])],
    ['heads', new nn.ModuleDict(new Map<string, nn.Module>([['cls', new nn.Linear(8, 10)], ['box', new nn.Linear(8, 4, { bias: false })]]))],
    ['empty', new nn.Sequential()],
    ['pool', new nn.AdaptiveAvgPool2d([1, 1])],
    ['flat', new nn.Flatten()],
  ]));
  assert.equal(container.toString(), e.container);
  assert.equal(new nn.ModuleList().toString(), e.emptyList);
  assert.equal(new nn.ModuleDict().toString(), e.emptyDict);
});

test('forward hooks: a pre-hook returning one value replaces the single input, a hook replaces the output, remove()', () => {
  const e = S.hooks;
  const lin = new nn.Linear(1, 1);
  st.noGrad(() => {
    lin.weight.fill_(2);
    lin.bias!.fill_(1);
  });
  const h1 = lin.registerForwardPreHook((_m, inputs) => (inputs[0] as Tensor).mul(10) as unknown as unknown[]);
  const h2 = lin.registerForwardHook((_m, _inputs, out: Tensor) => out.add(100));
  const x = st.tensor([[1]]);
  assert.equal(lin.forward(x).item(), e.both);
  h1.remove();
  assert.equal(lin.forward(x).item(), e.postOnly);
  h2.remove();
  assert.equal(lin.forward(x).item(), e.none);
});

const MODEL_OPTIONS: Record<string, [string, Record<string, unknown>]> = {
  deeplabv3_resnet50_aux: ['deeplabv3_resnet50', { auxLoss: true }],
};

for (const name of Object.keys(S.models)) {
  test(`print(model) equals torchvision's: ${name}`, () => {
    const [builder, options] = MODEL_OPTIONS[name] ?? [name, {}];
    const model = fastInit(() => models.create(builder, { ...options, numClasses: 10 }));
    const ours = model.toString().split('\n');
    const theirs = (S.models[name] as string).split('\n');
    const first = theirs.findIndex((line, i) => ours[i] !== line);
    assert.ok(first < 0 && ours.length === theirs.length,
      `${name}: line ${first}: ours ${JSON.stringify(ours[first])}, torchvision ${JSON.stringify(theirs[first])} (${ours.length} vs ${theirs.length} lines)`);
    if (name === 'fcn_resnet50') {
      // The backbone runs through its forward (torchvision's IntermediateLayerGetter returns {out, aux}): its hooks fire.
      const seen: string[] = [];
      (model as models.SegmentationModel).backbone.registerForwardHook((_m, _i, out) => {
        seen.push(Object.keys(out).join(','));
      });
      const y = st.noGrad(() => model.eval().forward(st.zeros([1, 3, 16, 16]))) as models.SegmentationOutput;
      assert.deepEqual(seen, ['out,aux']);
      assert.deepEqual(y.out.shape, [1, 10, 16, 16]);
      assert.equal(y.aux, undefined);
    }
  });
}

test('forward hooks returning undefined or null keep the output (torch: None)', () => {
  const relu = new nn.ReLU();
  const x = st.tensor([-1, 2]);
  const h1 = relu.registerForwardHook(() => null);
  const h2 = relu.registerForwardHook(() => undefined);
  const h3 = relu.registerForwardPreHook(() => null as unknown as unknown[]);
  assert.deepEqual([...relu.forward(x).data()], [0, 2]);
  h1.remove();
  h2.remove();
  h3.remove();
});

test('getSubmodule, getParameter, getBuffer (torch get_submodule/get_parameter/get_buffer)', () => {
  const net = new Net();
  assert.equal(net.getSubmodule('seq.2').getName(), 'BatchNorm1d');
  assert.equal(net.getParameter('seq.0.weight'), net.a.weight);
  assert.deepEqual(net.getBuffer('seq.2.running_var').shape, [3]);
  assert.deepEqual(net.getBuffer('nb').shape, [2]);
  assert.throws(() => net.getBuffer('seq.2.weight'), /no buffer/);
  assert.throws(() => net.getSubmodule('seq.7'), /no attribute/);
});

test('full backward hooks: gradInput/gradOutput as torch 1.13, a returned gradInput replaces it, no-input-grad and multi-input modules', () => {
  const e = S.backwardHooks;
  const vals = (t: Tensor | null): number[] | null => (t === null ? null : Array.from(t.data() as ArrayLike<number>, (v) => Math.round(v * 1e6) / 1e6));
  const calls: Json[] = [];
  const lin = new nn.Linear(3, 2);
  st.noGrad(() => {
    lin.weight.copy_(st.tensor([[1, -2, 0.5], [0.25, 1.5, -1]]));
    lin.bias!.fill_(0.1);
  });
  const h = lin.registerFullBackwardHook((_m, gi, go) => {
    calls.push({ gradInput: gi.map(vals), gradOutput: go.map(vals) });
    return gi.map((g) => (g === null ? null : g.mul(2)));
  });
  const x = st.tensor([[1, 2, 3], [-1, 0.5, 2]], { requiresGrad: true });
  const y = lin.forward(x);
  assert.equal(y.gradFn?.name, e.gradFn);
  y.mul(st.tensor([[1, 2], [3, 4]])).sum().backward();
  assert.deepEqual(calls, e.linear);
  assert.deepEqual(vals(x.grad), e.xGrad, 'the hook doubled the input gradient');
  assert.deepEqual(vals(lin.weight.grad), e.weightGrad, 'parameter gradients are not affected');
  calls.length = 0;
  lin.forward(st.tensor([[1, 1, 1]])).sum().backward();
  assert.deepEqual(calls, e.noInputGrad);
  h.remove();
  calls.length = 0;
  class Mix extends nn.Module {
    forward(a: Tensor, b: Tensor, scale: number): [Tensor, Tensor] {
      return [a.mul(b).mul(scale), a.add(b).sum()];
    }
  }
  const mix = new Mix();
  mix.registerFullBackwardHook((_m, gi, go) => void calls.push({ gradInput: gi.map(vals), gradOutput: go.map(vals) }));
  const a = st.tensor([1, 2], { requiresGrad: true });
  const b = st.tensor([3, -1], { requiresGrad: true });
  const [out] = (mix.forward as (a: Tensor, b: Tensor, s: number) => [Tensor, Tensor])(a, b, 0.5);
  out.sum().backward();
  assert.deepEqual(calls, e.twoInputs);
  assert.deepEqual(vals(a.grad), e.aGrad);
});
