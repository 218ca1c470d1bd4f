import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as models from '../../src/models/index.js';

test('list(): torchvision names plus LeNet, the CIFAR nets and segmentation', () => {
  const names = models.list();
  for (const n of [
    'lenet5', 'lenet5_classic', 'alexnet', 'vgg11', 'vgg11_bn', 'vgg13', 'vgg13_bn', 'vgg16', 'vgg16_bn', 'vgg19', 'vgg19_bn',
    'googlenet', 'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'resnext50_32x4d', 'resnext101_32x8d',
    'wide_resnet50_2', 'densenet121', 'densenet169', 'densenet201', 'efficientnet_b0', 'mobilenet_v2',
    'resnet20', 'resnet32', 'resnet44', 'resnet56', 'resnet110', 'plain20', 'plain32', 'plain44', 'plain56', 'plain110',
    'deeplabv3_resnet50', 'fcn_resnet50',
  ]) assert.ok(names.includes(n), `${n} is registered`);
  assert.equal(new Set(names).size, names.length);
  for (const n of names) assert.equal(typeof (models as unknown as Record<string, unknown>)[n], 'function', `models.${n} is exported`);
});

test('info(): family, task, input size, options', () => {
  assert.deepEqual(models.info('lenet5'), {
    name: 'lenet5', family: 'lenet', task: 'classification', inputSize: [1, 28, 28], options: ['numClasses', 'inChannels'],
    description: 'LeNet-5, modern form: ReLU, max pooling, 28×28 input',
  });
  assert.equal(models.info('deeplabv3_resnet50').task, 'segmentation');
  assert.deepEqual(models.info('resnet20').inputSize, [3, 32, 32]);
  // A copy: changing it does not change the registry.
  models.info('resnet20').inputSize[1] = 1;
  assert.deepEqual(models.info('resnet20').inputSize, [3, 32, 32]);
});

test('create(): options reach the builder; unknown names and options are rejected by name', () => {
  const m = models.create('lenet5', { numClasses: 4 });
  assert.deepEqual([...m.stateDict().entries()].at(-1)![1].shape, [4]);
  assert.throws(() => models.create('resnet51'), (e: Error) => /models\.create: unknown model 'resnet51'; available models: lenet5, .*resnet50/.test(e.message));
  assert.throws(() => models.create('lenet5', { numClass: 4 }), /models\.create\('lenet5'\): unknown option 'numClass'; lenet5 accepts numClasses, inChannels/);
  assert.throws(() => models.create('resnet20', { dropout: 0.1, width: 2 }), /unknown options 'dropout', 'width'/);
  assert.throws(() => models.create('resnext50_32x4d', { groups: 8 }), /unknown option 'groups'/);
  assert.throws(() => models.create('lenet5', [] as never), /options must be an object/);
  assert.throws(() => models.info('nope'), /models\.info: unknown model 'nope'/);
});

test('builders check their option values', () => {
  assert.throws(() => models.resnet18({ numClasses: 2.5 }), /resnet18: numClasses must be a positive integer, got 2.5/);
  assert.throws(() => models.vgg11({ dropout: 1 }), /vgg11: dropout must be a number in \[0, 1\)/);
  assert.throws(() => models.resnet18({ groups: 2 }), /BasicBlock: only supports groups=1/);
  assert.throws(() => models.googlenet({ auxLogits: 'yes' as never }), /googlenet: auxLogits must be a boolean/);
  assert.throws(() => models.mobilenet_v2({ widthMult: 0 }), /widthMult must be positive/);
  assert.throws(() => models.resnet50({ replaceStrideWithDilation: [true] as never }), /replaceStrideWithDilation should be null or a 3-element list/);
});
