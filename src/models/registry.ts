/**
 * The model registry: `models.list()`, `models.create(name, options)`, `models.info(name)`.
 * Names are torchvision's builder names where one exists (resnet50, vgg16_bn, ...), plus lenet5,
 * lenet5_classic, the CIFAR nets (resnet20 ... resnet110, plain20 ... plain110) and the segmentation nets.
 */
import type { Module } from '../nn/module.js';
import { lenet5, lenet5_classic } from './lenet.js';
import * as cifar from './cifar-resnet.js';
import * as resnet from './resnet.js';
import * as vgg from './vgg.js';
import { alexnet, ALEXNET_OPTIONS } from './alexnet.js';
import { googlenet, GOOGLENET_OPTIONS } from './googlenet.js';
import * as densenet from './densenet.js';
import * as effnet from './efficientnet.js';
import { mobilenet_v2, MOBILENET_V2_OPTIONS } from './mobilenet.js';
import * as seg from './deeplab.js';
import * as vit from './vit.js';

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

const IMAGENET: [number, number, number] = [3, 224, 224];
add(alexnet, { family: 'alexnet', task: 'classification', inputSize: IMAGENET, options: ALEXNET_OPTIONS, description: 'AlexNet (torchvision single-stream form)' });
for (const [depth, bn] of [11, 13, 16, 19].flatMap((d) => [[d, false], [d, true]] as const)) {
  const name = `vgg${depth}${bn ? '_bn' : ''}`;
  add((vgg as any)[name], {
    name, family: 'vgg', task: 'classification', inputSize: IMAGENET, options: vgg.VGG_OPTIONS,
    description: `VGG-${depth}${bn ? ' with batch normalisation' : ''}`,
  });
}
for (const depth of [18, 34, 50, 101, 152]) {
  add((resnet as any)[`resnet${depth}`], {
    name: `resnet${depth}`, family: 'resnet', task: 'classification', inputSize: IMAGENET, options: resnet.RESNET_OPTIONS,
    description: `ResNet-${depth} (${depth < 50 ? 'basic blocks' : 'bottlenecks'})`,
  });
}
for (const [name, description] of [
  ['resnext50_32x4d', 'ResNeXt-50 32×4d'], ['resnext101_32x8d', 'ResNeXt-101 32×8d'], ['resnext101_64x4d', 'ResNeXt-101 64×4d'],
  ['wide_resnet50_2', 'Wide ResNet-50-2'], ['wide_resnet101_2', 'Wide ResNet-101-2'],
] as const) {
  add((resnet as any)[name], { name, family: 'resnet', task: 'classification', inputSize: IMAGENET, options: resnet.RESNET_FIXED_OPTIONS, description });
}
add(googlenet, { family: 'googlenet', task: 'classification', inputSize: IMAGENET, options: GOOGLENET_OPTIONS, description: 'GoogLeNet / Inception v1 (optional auxiliary classifiers)' });
for (const depth of [121, 161, 169, 201]) {
  add((densenet as any)[`densenet${depth}`], {
    name: `densenet${depth}`, family: 'densenet', task: 'classification', inputSize: IMAGENET, options: densenet.DENSENET_OPTIONS,
    description: `DenseNet-${depth} (DenseNet-BC)`,
  });
}
[224, 240, 288, 300, 380, 456, 528, 600].forEach((size, b) => {
  add((effnet as any)[`efficientnet_b${b}`], {
    name: `efficientnet_b${b}`, family: 'efficientnet', task: 'classification', inputSize: [3, size, size], options: effnet.EFFICIENTNET_OPTIONS,
    description: `EfficientNet-B${b} (MBConv + squeeze-excitation, SiLU, stochastic depth)`,
  });
});
add(mobilenet_v2, { family: 'mobilenet', task: 'classification', inputSize: IMAGENET, options: MOBILENET_V2_OPTIONS, description: 'MobileNetV2 (inverted residuals, ReLU6)' });
for (const [name, c] of Object.entries(vit.VIT_CONFIGS)) {
  add((vit as any)[name], {
    name, family: 'vit', task: 'classification', inputSize: IMAGENET, options: vit.VIT_OPTIONS,
    description: `Vision Transformer ${name.slice(4, 5).toUpperCase()}/${c.patchSize}: ${c.numLayers} blocks, ${c.numHeads} heads, width ${c.hiddenDim}`,
  });
}
for (const [name, description] of [
  ['deeplabv3_resnet50', 'DeepLabV3, ResNet-50 backbone (output stride 8), ASPP head'],
  ['deeplabv3_resnet101', 'DeepLabV3, ResNet-101 backbone (output stride 8), ASPP head'],
  ['fcn_resnet50', 'FCN, ResNet-50 backbone (output stride 8)'],
  ['fcn_resnet101', 'FCN, ResNet-101 backbone (output stride 8)'],
] as const) {
  add((seg as any)[name], { name, family: 'deeplab', task: 'segmentation', inputSize: [3, 520, 520], options: seg.SEGMENTATION_OPTIONS, description });
}
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
