// st.summary is re-exported by the core (its behaviour is covered in depth by test/models).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';

test('st.summary: per-layer shapes, parameters and multiply-adds of a small conv net', () => {
  const net = new st.nn.Sequential(new st.nn.Conv2d(1, 4, 3), new st.nn.ReLU(), new st.nn.Flatten(), new st.nn.Linear(4 * 6 * 6, 10));
  const s = st.summary(net, [1, 8, 8]);
  assert.equal(s.totalParams, 4 * 9 + 4 + 144 * 10 + 10);
  assert.equal(s.macs, 4 * 9 * 36 + 144 * 10);
  assert.match(s.format(), /Linear/);
});
