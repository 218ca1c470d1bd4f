/**
 * Lazy layers against torch 1.13 (tools/fixtures/lazy.py writes test/fixtures/lazy.json): printing before and
 * after the first forward, the class they become, the weights drawn at that forward for a seed (and the RNG
 * position after it), the output; a fresh lazy layer loaded from the state dict gives the same output without
 * drawing. Also: an optimiser built before the first forward trains the materialised parameters.
 * Runs once per backend (test/select-backend.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as st from '../../src/index.js';
import { nn } from '../../src/index.js';
import { assertClose, decode, type Value } from './functional-helpers.js';

interface Case {
  name: string;
  js: { cls: string; args: unknown[] };
  x: { shape: number[]; data: Value[] };
  before: string;
  after: string;
  cls: string;
  state: Record<string, { shape: number[]; data: Value[] }>;
  y: Value[];
  y2: Value[];
  nextDraw: number[];
}

const fixture: { torch: string; cases: Case[] } = JSON.parse(readFileSync(new URL('../fixtures/lazy.json', import.meta.url), 'utf8'));

/** camelCase of the fixture's PyTorch keyword names. */
const camel = (o: unknown) =>
  o && typeof o === 'object' && !Array.isArray(o)
    ? Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]))
    : o;

function make(c: Case): nn.Module {
  const Cls = (nn as unknown as Record<string, new (...args: unknown[]) => nn.Module>)[c.js.cls]!;
  return new Cls(...c.js.args.map(camel));
}

for (const c of fixture.cases) {
  test(`${c.name} matches PyTorch ${fixture.torch}`, () => {
    const x = st.tensor(Float32Array.from(decode(c.x.data)), { shape: c.x.shape });
    st.manualSeed(0);
    const m = make(c);
    assert.equal(m.toString(), c.before, 'printing before the first forward');
    assert.equal((m as unknown as { hasUninitializedParams(): boolean }).hasUninitializedParams(), Object.keys(c.state).some((k) => k !== 'num_batches_tracked'));
    const y = m.train().forward(x) as st.Tensor;
    assert.equal(m.getName(), c.cls, 'class after the first forward');
    assert.ok(m instanceof (nn as unknown as Record<string, new (...args: unknown[]) => nn.Module>)[c.cls]!);
    assert.equal(m.toString(), c.after, 'printing after');
    const state = m.stateDict();
    assert.deepEqual([...state.keys()], Object.keys(c.state));
    for (const [k, want] of Object.entries(c.state)) {
      assert.deepEqual([...state.get(k)!.shape], want.shape, `${k} shape`);
      assertClose(state.get(k)!, decode(want.data), `${k}`, 1e-6, 1e-7);
    }
    assertClose(st.rand([3]), c.nextDraw, 'the generator is where PyTorch\'s is after the first forward', 1e-7, 0);
    assertClose(y, decode(c.y), 'output', 1e-5, 1e-6);

    const before = st.getRngState();
    const fresh = make(c);
    fresh.loadStateDict(new Map([...state].map(([k, v]) => [k, v.clone()])));
    const y2 = fresh.train().forward(x) as st.Tensor;
    assert.deepEqual(st.getRngState(), before, 'a loaded lazy layer draws nothing');
    assertClose(y2, decode(c.y2), 'output of the loaded layer', 1e-5, 1e-6);
    assert.equal(fresh.getName(), c.cls);
  });
}

test('an optimiser built before the first forward updates the materialised parameters', () => {
  const model = new nn.Sequential(new nn.LazyConv2d(4, 3), new nn.ReLU(), new nn.Flatten(), new nn.LazyLinear(2));
  const params = model.parameters();
  const opt = new st.optim.SGD(params, { lr: 0.1 });
  const x = st.randn([2, 3, 6, 6]);
  const loss = (model.forward(x) as st.Tensor).pow(2).sum();
  assert.deepEqual(model.parameters(), params, 'the same parameter objects');
  assert.deepEqual([...params[0]!.shape], [4, 3, 3, 3]);
  assert.deepEqual([...params[2]!.shape], [2, 64]);
  const w0 = Array.from(params[2]!.data());
  loss.backward();
  opt.step();
  assert.notDeepEqual(Array.from(params[2]!.data()), w0);
  assert.ok(!(params[0] instanceof nn.UninitializedParameter) && params[0] instanceof nn.Parameter);
  assert.throws(() => new nn.LazyConv2d(4, 3, { groups: 2 }).forward(st.randn([1, 3, 5, 5])), /in_channels \(3\) must be divisible by groups \(2\)/);
});
