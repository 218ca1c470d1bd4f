import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import * as nn from '../../src/nn/index.js';
import type { Tensor } from '../../src/index.js';

class Block extends nn.Module {
  conv = new nn.Conv2d(1, 2, 3);
  bn1 = new nn.BatchNorm2d(2);
  scale = new nn.Parameter(st.ones([1]));
  forward(x: Tensor): Tensor {
    return this.bn1.forward(this.conv.forward(x)).mul(this.scale);
  }
}

class Net extends nn.Module {
  features: nn.Sequential;
  head: nn.Linear;
  constructor() {
    super();
    this.features = new nn.Sequential(new nn.Conv2d(1, 2, 3), new nn.BatchNorm2d(2), new nn.ReLU());
    this.head = new nn.Linear(8, 3);
    this.registerBuffer('steps', st.zeros([1]));
    this.registerBuffer('cache', st.zeros([2]), { persistent: false });
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(this.features.forward(x).flatten(1));
  }
}

test('stateDict keys follow PyTorch: params, then buffers, then children, nested Sequential names', () => {
  assert.deepEqual([...new Net().stateDict().keys()], [
    'steps',
    'features.0.weight', 'features.0.bias',
    'features.1.weight', 'features.1.bias', 'features.1.running_mean', 'features.1.running_var', 'features.1.num_batches_tracked',
    'head.weight', 'head.bias',
  ]);
});

test('registration by class fields keeps declaration order; parameters() and namedParameters()', () => {
  const b = new Block();
  assert.deepEqual(b.namedParameters().map(([n]) => n), ['scale', 'conv.weight', 'conv.bias', 'bn1.weight', 'bn1.bias']);
  assert.equal(b.parameters().length, 5);
  assert.equal(b.parameters(false).length, 1);
  assert.deepEqual(b.namedBuffers().map(([n]) => n), ['bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked']);
  assert.deepEqual(b.namedChildren().map(([n]) => n), ['conv', 'bn1']);
  assert.deepEqual(b.namedModules().map(([n]) => n), ['', 'conv', 'bn1']);
  assert.ok(b.parameters().every((p) => p.requiresGrad));
});

test('num_batches_tracked is an int32 scalar incremented per training forward', () => {
  const bn = new nn.BatchNorm2d(2);
  const t = bn.stateDict().get('num_batches_tracked')!;
  assert.equal(t.dtype, 'int32');
  assert.deepEqual(t.shape, []);
  const x = st.randn([4, 2, 3, 3]);
  bn.forward(x);
  bn.forward(x);
  assert.equal(bn.numBatchesTracked!.item(), 2);
  bn.eval().forward(x);
  assert.equal(bn.numBatchesTracked!.item(), 2);
});

test('reassigning a child or parameter replaces it in place (order kept); null keeps the slot', () => {
  const net = new Net();
  net.head = new nn.Linear(8, 5);
  assert.deepEqual(net.namedChildren().map(([n]) => n), ['features', 'head']);
  assert.deepEqual(net.stateDict().get('head.weight')!.shape, [5, 8]);
  const lin = new nn.Linear(2, 2);
  lin.bias = null;
  assert.deepEqual([...lin.stateDict().keys()], ['weight']);
  assert.throws(() => {
    (lin as any).weight = st.zeros([2, 2]);
  }, /cannot assign Tensor\[2, 2\] as parameter 'weight'/);
  delete (net as any).head;
  assert.deepEqual(net.namedChildren().map(([n]) => n), ['features']);
});

test('non-persistent buffers are in buffers() but not in stateDict', () => {
  const net = new Net();
  assert.ok(net.namedBuffers().some(([n]) => n === 'cache'));
  assert.ok(!net.stateDict().has('cache'));
});

test('shared parameters are listed once', () => {
  const lin = new nn.Linear(3, 3);
  const seq = new nn.Sequential(lin, new nn.ReLU(), lin);
  assert.equal(seq.parameters().length, 2);
  assert.equal(seq.modules().length, 3);
});

test('loadStateDict round trip copies values in place', () => {
  const a = new Net();
  const b = new Net();
  const w = b.head.weight;
  const res = b.loadStateDict(a.stateDict());
  assert.deepEqual(res, { missingKeys: [], unexpectedKeys: [] });
  assert.equal(b.head.weight, w, 'same Parameter object');
  assert.deepEqual(b.head.weight.toArray(), a.head.weight.toArray());
  // a plain object works too
  b.loadStateDict(Object.fromEntries(a.stateDict()));
});

const loadErrors: [string, (sd: Map<string, Tensor>) => void, RegExp[]][] = [
  ['missing keys, all named', (sd) => { sd.delete('head.bias'); sd.delete('features.0.weight'); }, [/Missing key\(s\) in state_dict: "features.0.weight", "head.bias"\./]],
  ['unexpected keys, all named', (sd) => { sd.set('extra.w', st.zeros([1])); sd.set('head.foo', st.zeros([1])); }, [/Unexpected key\(s\) in state_dict: "extra.w", "head.foo"\./]],
  ['shape mismatch names key and both shapes', (sd) => sd.set('head.weight', st.zeros([3, 9])), [/size mismatch for head.weight: copying a param with shape \[3, 9\] from checkpoint, the shape in current model is \[3, 8\]\./]],
  [
    'every problem in one message',
    (sd) => { sd.delete('steps'); sd.set('x', st.zeros([1])); sd.set('features.1.running_mean', st.zeros([3])); },
    [/Error\(s\) in loading state_dict for Net/, /Missing key\(s\) in state_dict: "steps"/, /Unexpected key\(s\) in state_dict: "x"/, /size mismatch for features.1.running_mean/],
  ],
];
for (const [name, edit, res] of loadErrors) {
  test(`loadStateDict strict error: ${name}`, () => {
    const net = new Net();
    const before = net.head.weight.toArray();
    const sd = new Net().stateDict();
    edit(sd);
    assert.throws(() => net.loadStateDict(sd), (e: Error) => res.every((r) => r.test(e.message)));
    assert.deepEqual(net.head.weight.toArray(), before, 'nothing copied when it throws');
  });
}

test('loadStateDict non-strict reports missing/unexpected but still rejects shape mismatches', () => {
  const net = new Net();
  const sd = new Net().stateDict();
  sd.delete('head.bias');
  sd.set('extra', st.zeros([1]));
  assert.deepEqual(net.loadStateDict(sd, { strict: false }), { missingKeys: ['head.bias'], unexpectedKeys: ['extra'] });
  sd.set('head.weight', st.zeros([1]));
  assert.throws(() => net.loadStateDict(sd, { strict: false }), /size mismatch for head.weight/);
});

test('train()/eval() propagate to every descendant', () => {
  const net = new Net();
  assert.ok(net.modules().every((m) => m.training));
  net.eval();
  assert.ok(net.modules().every((m) => !m.training));
  net.train();
  assert.ok(net.modules().every((m) => m.training));
});

test('forward hooks see inputs and output, can replace the output, and can be removed', () => {
  const net = new Net();
  const seen: [string, number[]][] = [];
  const handles = net.features.children().map((m) => m.registerForwardHook((mod, _inp, out) => void seen.push([mod.getName(), [...(out as Tensor).shape]])));
  const x = st.randn([2, 1, 4, 4]);
  net.forward(x);
  assert.deepEqual(seen, [['Conv2d', [2, 2, 2, 2]], ['BatchNorm2d', [2, 2, 2, 2]], ['ReLU', [2, 2, 2, 2]]]);
  handles.forEach((h) => h.remove());
  net.forward(x);
  assert.equal(seen.length, 3);
  const h = net.head.registerForwardHook(() => st.zeros([1]));
  assert.deepEqual(net.forward(x).shape, [1]);
  h.remove();
  assert.deepEqual(net.forward(x).shape, [2, 3]);
  const pre = net.head.registerForwardPreHook((_m, inputs) => [(inputs[0] as Tensor).mul(0)]);
  assert.deepEqual(Array.from(net.forward(x).data()), Array.from(net.head.bias!.data()).concat(Array.from(net.head.bias!.data())));
  pre.remove();
});

test('apply visits children first, then the module; requiresGrad_ and zeroGrad', () => {
  const net = new Net();
  const order: string[] = [];
  net.apply((m) => order.push(m.getName()));
  assert.deepEqual(order, ['Conv2d', 'BatchNorm2d', 'ReLU', 'Sequential', 'Linear', 'Net']);
  net.features.requiresGrad_(false);
  assert.deepEqual(net.parameters().map((p) => p.requiresGrad), [false, false, false, false, true, true]);
  net.forward(st.randn([2, 1, 4, 4])).sum().backward();
  assert.ok(net.head.weight.grad);
  assert.equal(net.features.at(0).parameters()[0].grad, null);
  net.zeroGrad(); // PyTorch 1.13's default: zeros, in place
  assert.ok(Array.from(net.head.weight.grad!.data()).every((v) => v === 0));
  net.zeroGrad({ setToNone: true });
  assert.equal(net.head.weight.grad, null);
});

test('toString prints like PyTorch', () => {
  const seq = new nn.Sequential(new nn.Conv2d(1, 6, 5), new nn.ReLU(), new nn.MaxPool2d(2), new nn.Sequential(new nn.Linear(2, 3)), new nn.BatchNorm2d(6));
  assert.equal(
    seq.toString(),
    [
      'Sequential(',
      '  (0): Conv2d(1, 6, kernel_size=(5, 5), stride=(1, 1))',
      '  (1): ReLU()',
      '  (2): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)',
      '  (3): Sequential(',
      '    (0): Linear(in_features=2, out_features=3, bias=True)',
      '  )',
      '  (4): BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)',
      ')',
    ].join('\n'),
  );
  assert.equal(new nn.Sequential().toString(), 'Sequential()');
  assert.equal(String(new nn.ModuleDict({ a: new nn.ReLU() })), 'ModuleDict(\n  (a): ReLU()\n)');
});

test('Sequential: named children, at(), iteration, slice, append', () => {
  const seq = new nn.Sequential(new Map<string, nn.Module>([['conv', new nn.Conv2d(1, 2, 3)], ['act', new nn.ReLU()]]));
  assert.deepEqual([...seq.stateDict().keys()], ['conv.weight', 'conv.bias']);
  assert.equal(seq.at(-1).getName(), 'ReLU');
  assert.deepEqual([...seq].map((m) => m.getName()), ['Conv2d', 'ReLU']);
  assert.equal(seq.length, 2);
  assert.deepEqual(seq.slice(1).namedChildren().map(([n]) => n), ['act']);
  seq.append(new nn.Flatten());
  assert.deepEqual(seq.namedChildren().map(([n]) => n), ['conv', 'act', '2']);
  assert.deepEqual(seq.forward(st.randn([1, 1, 4, 4])).shape, [1, 8]);
  assert.throws(() => seq.at(5), /index 5 is out of range for 3 modules/);
  assert.throws(() => new nn.Sequential(new nn.ReLU(), 3 as never), /argument 1 is not a Module/);
});

test('ModuleList and ModuleDict register children', () => {
  const list = new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 2)]);
  list.insert(0, new nn.ReLU());
  assert.deepEqual([...list.stateDict().keys()], ['1.weight', '1.bias', '2.weight', '2.bias']);
  assert.equal(list.length, 3);
  const dict = new nn.ModuleDict({ enc: new nn.Linear(2, 2) });
  dict.set('dec', new nn.Linear(2, 1));
  assert.deepEqual([...dict], ['enc', 'dec']);
  assert.deepEqual([...dict.stateDict().keys()], ['enc.weight', 'enc.bias', 'dec.weight', 'dec.bias']);
  assert.throws(() => dict.set('keys', new nn.ReLU()), /attribute 'keys' already exists/);
  assert.throws(() => dict.get('nope'), /no module named 'nope'/);
});

test('registering names that are not allowed', () => {
  const m = new nn.Identity();
  assert.throws(() => m.registerParameter('a.b', null), /can't contain "."/);
  assert.throws(() => m.registerBuffer('forward', st.zeros([1])), /attribute 'forward' already exists/);
  assert.throws(() => m.registerParameter('w', st.zeros([1]) as never), /nn.Parameter or null expected/);
  m.registerBuffer('b', st.zeros([1]));
  assert.throws(() => m.registerParameter('b', new nn.Parameter(st.zeros([1]))), /attribute 'b' already exists/);
});

test('Parameter shares storage with its data and prints as PyTorch', () => {
  const t = st.tensor([1, 2]);
  const p = new nn.Parameter(t);
  assert.equal(p.storage, t.storage);
  assert.ok(p.requiresGrad && p.isLeaf);
  assert.equal(new nn.Parameter(t, false).requiresGrad, false);
  assert.match(String(p), /^Parameter containing:\ntensor\(\[1\., 2\.\], requiresGrad=true\)$/);
});

test('to(float64) converts parameters and float buffers but not num_batches_tracked', () => {
  const net = new Net().double();
  assert.ok(net.parameters().every((p) => p.dtype === 'float64' && p.requiresGrad));
  assert.equal(net.stateDict().get('features.1.running_var')!.dtype, 'float64');
  assert.equal(net.stateDict().get('features.1.num_batches_tracked')!.dtype, 'int32');
  assert.deepEqual([...net.stateDict().keys()], [...new Net().stateDict().keys()]);
  assert.equal(net.forward(st.randn([2, 1, 4, 4], { dtype: 'float64' })).dtype, 'float64');
});

test('to(float64) keeps the Parameter objects and their gradients, so an optimiser made before it still steps them', () => {
  const net = new Net();
  const params = net.parameters();
  const opt = new st.optim.SGD(params, { lr: 0.5 });
  net.forward(st.randn([2, 1, 4, 4])).sum().backward();
  const grad = params[0].grad!;
  const before = params.map((p) => Array.from(p.data()));
  net.double();
  assert.ok(net.parameters().every((p, i) => p === params[i] && p.dtype === 'float64'), 'same objects, converted');
  assert.ok(params[0].grad === grad && grad.dtype === 'float64', 'the gradient object is kept and converted');
  assert.deepEqual(Array.from(params[0].data()), before[0].map((v) => v), 'float32 values survive the widening exactly');
  opt.step();
  const expected = before[0].map((v, i) => v - 0.5 * (grad.data()[i] as number));
  assert.deepEqual(Array.from(params[0].data()), expected, 'the optimiser updated the converted parameter');
});

test('countParameters and getSubmodule/getParameter', () => {
  const net = new Net();
  assert.equal(nn.countParameters(net), 2 * 9 + 2 + 2 + 2 + 8 * 3 + 3);
  net.features.requiresGrad_(false);
  assert.equal(nn.countParameters(net, { trainableOnly: true }), 27);
  assert.equal(net.getSubmodule('features.1').getName(), 'BatchNorm2d');
  assert.equal(net.getParameter('head.bias'), net.head.bias);
  assert.throws(() => net.getSubmodule('features.7'), /Sequential has no attribute '7'/);
});

test('an undefined (re)definition of a registered name, as a JS subclass field emits, keeps the registration', () => {
  class Base extends nn.Module {
    w: nn.Parameter;
    constructor() {
      super();
      this.w = new nn.Parameter(st.ones([2]));
    }
    forward(x: Tensor): Tensor {
      return x.mul(this.w);
    }
  }
  class Derived extends Base {
    declare w: nn.Parameter;
    extra = new nn.Linear(2, 2);
  }
  const d = new Derived();
  Object.defineProperty(d, 'w', { value: undefined, writable: true, enumerable: true, configurable: true });
  assert.deepEqual([...d.stateDict().keys()], ['w', 'extra.weight', 'extra.bias']);
  assert.deepEqual(d.w.shape, [2]);
});

test('the nn and optim namespaces are reachable from the package root', () => {
  const model = new st.nn.Sequential(new st.nn.Linear(2, 2));
  const opt = new st.optim.SGD(model.parameters(), { lr: 0.1 });
  const sched = new st.optim.lrScheduler.StepLR(opt, 1, { gamma: 0.5 });
  sched.step();
  assert.deepEqual(sched.getLastLr(), [0.05]);
});
