import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/core.js';
import * as models from '../../src/models/index.js';
import { assertAllGrads, detInput, numParams } from './helpers.js';

const cases = [
  { name: 'lenet5', input: [2, 1, 28, 28], params: 61706 },
  { name: 'lenet5_classic', input: [2, 1, 32, 32], params: 61706 },
] as const;

for (const c of cases) {
  test(`${c.name}: shape, parameters, gradients`, () => {
    st.manualSeed(0);
    const m = models.create(c.name);
    assert.equal(numParams(m), c.params);
    const y = st.noGrad(() => m.eval().forward(detInput([...c.input])));
    assert.deepEqual(y.shape, [2, 10]);
    assertAllGrads(m, detInput([...c.input]));
  });
}

test('lenet5: options', () => {
  const m = models.lenet5({ numClasses: 3, inChannels: 3 });
  assert.deepEqual(st.noGrad(() => m.forward(st.zeros([1, 3, 28, 28]))).shape, [1, 3]);
  assert.throws(() => models.lenet5({ numClass: 3 } as never), /lenet5: unknown option 'numClass'; expected one of numClasses, inChannels/);
  assert.throws(() => models.lenet5({ numClasses: 0 }), /numClasses must be a positive integer/);
});
