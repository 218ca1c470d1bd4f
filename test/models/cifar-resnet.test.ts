import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/core.js';
import * as nn from '../../src/nn/index.js';
import * as models from '../../src/models/index.js';
import { CifarBasicBlock } from '../../src/models/cifar-resnet.js';
import { assertAllGrads, detInput, numParams } from './helpers.js';

// Parameter counts with 10 classes (option A adds no parameters; the plain nets have the same layers).
const cases = [
  { depth: 20, params: 269722 },
  { depth: 32, params: 464154 },
  { depth: 44, params: 658586 },
  { depth: 56, params: 853018 },
  { depth: 110, params: 1727962 },
];

for (const c of cases) {
  test(`resnet${c.depth} / plain${c.depth}: parameters and layers`, () => {
    for (const name of [`resnet${c.depth}`, `plain${c.depth}`]) {
      const m = models.create(name);
      assert.equal(numParams(m), c.params, name);
      const convs = m.modules().filter((x) => x instanceof nn.Conv2d).length;
      const linears = m.modules().filter((x) => x instanceof nn.Linear).length;
      assert.equal(convs + linears, c.depth, `${name}: weighted layers`);
    }
  });
}

test('resnet20: option B adds 1×1 projections (2,752 parameters)', () => {
  const m = models.resnet20({ shortcut: 'B' });
  assert.equal(numParams(m), 269722 + 16 * 32 + 64 + 32 * 64 + 128);
  const keys = [...m.stateDict().keys()];
  assert.ok(keys.includes('layer2.0.shortcut.0.weight') && keys.includes('layer3.0.shortcut.1.running_var'));
  assert.deepEqual(st.noGrad(() => m.eval().forward(detInput([1, 3, 32, 32]))).shape, [1, 10]);
});

for (const name of ['resnet20', 'plain20']) {
  test(`${name}: forward shape and every parameter gets a gradient`, () => {
    st.manualSeed(0);
    const m = models.create(name, { numClasses: 7 });
    assert.deepEqual(st.noGrad(() => m.eval().forward(detInput([2, 3, 32, 32]))).shape, [2, 7]);
    assertAllGrads(m, detInput([2, 3, 32, 32]));
  });
}

test('resnet110: forward at 32×32', () => {
  const m = models.resnet110();
  assert.deepEqual(st.noGrad(() => m.eval().forward(detInput([1, 3, 32, 32]))).shape, [1, 10]);
});

test('stochastic depth: survival probabilities decay linearly to p_L', () => {
  const m = models.resnet20({ stochasticDepth: true });
  const blocks = m.modules().filter((x): x is CifarBasicBlock => x instanceof CifarBasicBlock);
  assert.equal(blocks.length, 9);
  blocks.forEach((b, i) => assert.ok(Math.abs(b.survivalProb - (1 - ((i + 1) / 9) * 0.5)) < 1e-12));
  const m2 = models.resnet56({ stochasticDepth: 0.8 });
  const last = m2.modules().filter((x): x is CifarBasicBlock => x instanceof CifarBasicBlock).at(-1)!;
  assert.ok(Math.abs(last.survivalProb - 0.8) < 1e-12);
  assert.throws(() => models.resnet20({ stochasticDepth: 1.5 }), /stochasticDepth must be/);
  assert.throws(() => models.create('plain20', { stochasticDepth: true }), /unknown option 'stochasticDepth'/);
});

test('stochastic depth: training drops whole branches, evaluation scales them by p', () => {
  st.manualSeed(3);
  const block = new CifarBasicBlock(4, 4, 1, { residual: true, shortcut: 'A', survivalProb: 0.6 });
  const x = detInput([1, 4, 5, 5]);
  // Evaluation: relu(p·f(x) + x).
  block.eval();
  const y = st.noGrad(() => block.forward(x));
  const f = st.noGrad(() => block.bn2.forward(block.conv2.forward(block.bn1.forward(block.conv1.forward(x)).relu())));
  const expected = f.mul(0.6).add(x).relu();
  assert.ok(st.allclose(y, expected, { rtol: 1e-6, atol: 1e-6 }));
  // Training: either relu(x) (dropped) or relu(f(x) + x) (kept), kept about 60% of the time.
  block.train();
  const dropped = x.relu();
  let kept = 0;
  const trials = 300;
  for (let i = 0; i < trials; i++) {
    const out = st.noGrad(() => block.forward(x));
    if (st.allclose(out, dropped)) continue;
    kept++;
  }
  assert.ok(Math.abs(kept / trials - 0.6) < 0.1, `kept ${kept}/${trials}`);
});

test('CIFAR nets: options are checked', () => {
  assert.throws(() => models.resnet20({ shortcut: 'C' as never }), /shortcut must be 'A' or 'B'/);
  assert.throws(() => models.cifarResnet(21), /depth must be 6n \+ 2/);
  assert.equal(numParams(models.cifarResnet(8)), 75290);
});
