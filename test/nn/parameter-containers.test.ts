/**
 * nn.ParameterList and nn.ParameterDict against torch 1.13: registration (parameters(), stateDict keys),
 * wrapping of plain tensors, key order (a plain object's keys sorted, as a Python dict passed to
 * ParameterDict), and printing (the expected strings are torch 1.13's print output).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as st from '../../src/index.js';
import { nn } from '../../src/index.js';

class Holder extends nn.Module {
  pl = new nn.ParameterList([new nn.Parameter(st.zeros([2, 3])), st.zeros([4])]);
  pd = new nn.ParameterDict({ b: st.zeros([2]), a: new nn.Parameter(st.zeros([3, 1])) });
  forward(x: st.Tensor) {
    return x;
  }
}

test('ParameterList and ParameterDict register their parameters as torch does', () => {
  const m = new Holder();
  assert.deepEqual([...m.stateDict().keys()], ['pl.0', 'pl.1', 'pd.a', 'pd.b']);
  assert.equal(m.parameters().length, 4);
  assert.ok(m.pl.at(1) instanceof nn.Parameter && m.pl.at(1).requiresGrad, 'a plain tensor is wrapped as a Parameter');
  assert.equal(m.pl.at(-1), m.pl.at(1));
  assert.deepEqual(m.pd.keys(), ['a', 'b']);
  m.pl.append(st.ones([1]));
  m.pd.set('c', st.ones([1]));
  assert.deepEqual([...m.stateDict().keys()], ['pl.0', 'pl.1', 'pl.2', 'pd.a', 'pd.b', 'pd.c']);
  assert.deepEqual([...new nn.ParameterDict(new Map([['z', st.zeros([1])], ['y', st.zeros([1])]]))], ['z', 'y']);
  m.pd.pop('c');
  assert.deepEqual(m.pd.keys(), ['a', 'b']);
  assert.throws(() => m.pl.at(3), /ParameterList.at: index 3 is out of range for 3 parameters/);
  assert.throws(() => m.pd.get('q'), /ParameterDict: no parameter named 'q'/);
});

test('ParameterList and ParameterDict print as torch 1.13', () => {
  const cases: [string, nn.Module, string][] = [
    ['ParameterList', new nn.ParameterList([st.zeros([2, 3]), st.zeros([4])]),
      'ParameterList(\n    (0): Parameter containing: [torch.float32 of size 2x3]\n    (1): Parameter containing: [torch.float32 of size 4]\n)'],
    ['ParameterDict', new nn.ParameterDict({ b: st.zeros([2]), a: st.zeros([3, 1]) }),
      'ParameterDict(\n    (a): Parameter containing: [torch.FloatTensor of size 3x1]\n    (b): Parameter containing: [torch.FloatTensor of size 2]\n)'],
    ['nested', new Holder(),
      'Holder(\n  (pl): ParameterList(\n      (0): Parameter containing: [torch.float32 of size 2x3]\n      (1): Parameter containing: [torch.float32 of size 4]\n  )\n' +
      '  (pd): ParameterDict(\n      (a): Parameter containing: [torch.FloatTensor of size 3x1]\n      (b): Parameter containing: [torch.FloatTensor of size 2]\n  )\n)'],
  ];
  for (const [name, m, expected] of cases) assert.equal(m.toString(), expected, name);
});
