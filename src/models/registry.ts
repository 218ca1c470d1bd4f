/**
 * The model registry: `models.list()`, `models.create(name, options)`, `models.info(name)`.
 * Names are torchvision's builder names where one exists (resnet50, vgg16_bn, ...), plus lenet5,
 * lenet5_classic, the CIFAR nets (resnet20 ... resnet110, plain20 ... plain110) and the segmentation nets.
 */
import type { Module } from '../nn/module.js';
import { lenet5, lenet5_classic } from './lenet.js';
import * as cifar from './cifar-resnet.js';

export type ModelTask = 'classification' | 'segmentation';

/** What the registry knows about a model. */
export interface ModelInfo {
  name: string;
  /** The family file it comes from: 'lenet', 'resnet', 'vgg', ... */
  family: string;
  task: ModelTask;
  /** Default input size [channels, height, width] (what the model was designed for). */
  inputSize: [number, number, number];
  /** The options the builder accepts. */
  options: readonly string[];
  description: string;
}

interface Entry extends ModelInfo {
  build: (options: any) => Module;
}

const entries = new Map<string, Entry>();

function add(build: (options: any) => Module, info: Omit<ModelInfo, 'name'> & { name?: string }): void {
  const name = info.name ?? build.name;
  entries.set(name, { ...info, name, build });
}

add(lenet5, {
  family: 'lenet', task: 'classification', inputSize: [1, 28, 28], options: ['numClasses', 'inChannels'],
  description: 'LeNet-5, modern form: ReLU, max pooling, 28×28 input',
});
add(lenet5_classic, {
  family: 'lenet', task: 'classification', inputSize: [1, 32, 32], options: ['numClasses', 'inChannels'],
  description: 'LeNet-5 as in 1998: tanh, average pooling, 32×32 input',
});

for (const depth of [20, 32, 44, 56, 110]) {
  const n = (depth - 2) / 6;
  add((cifar as any)[`resnet${depth}`], {
    name: `resnet${depth}`, family: 'cifar-resnet', task: 'classification', inputSize: [3, 32, 32], options: cifar.CIFAR_RESNET_OPTIONS,
    description: `CIFAR ResNet-${depth} (He et al. 2016): 3 stages × ${n} basic blocks, 16/32/64 channels`,
  });
}
for (const depth of [20, 32, 44, 56, 110]) {
  add((cifar as any)[`plain${depth}`], {
    name: `plain${depth}`, family: 'cifar-resnet', task: 'classification', inputSize: [3, 32, 32], options: cifar.CIFAR_PLAIN_OPTIONS,
    description: `CIFAR plain-${depth}: ResNet-${depth} without shortcuts`,
  });
}

/** Names of every registered model, in registration order. */
export function list(): string[] {
  return [...entries.keys()];
}

function entry(name: string, op: string): Entry {
  if (typeof name !== 'string') throw new TypeError(`models.${op}: model name must be a string, got ${typeof name}`);
  const e = entries.get(name);
  if (!e) throw new Error(`models.${op}: unknown model '${name}'; available models: ${list().join(', ')}`);
  return e;
}

/** Registry information about a model (family, task, default input size, accepted options). */
export function info(name: string): ModelInfo {
  const { build: _build, ...rest } = entry(name, 'info');
  return { ...rest, options: [...rest.options], inputSize: [...rest.inputSize] };
}

/**
 * Build a model by name: `models.create('resnet50', {numClasses: 10})`. Unknown names throw listing the
 * available ones; unknown options throw naming them.
 */
export function create(name: string, options: Record<string, unknown> = {}): Module {
  const e = entry(name, 'create');
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`models.create: options must be an object, got ${Array.isArray(options) ? 'an array' : options === null ? 'null' : typeof options}`);
  }
  const unknown = Object.keys(options).filter((k) => !e.options.includes(k));
  if (unknown.length) {
    throw new Error(
      `models.create('${name}'): unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; ` +
        `${name} accepts ${e.options.join(', ')}`,
    );
  }
  return e.build(options);
}
