/**
 * DenseNet-BC (Huang et al. 2017) as torchvision 0.14 builds it: densenet121/161/169/201. Each dense layer
 * is BN-ReLU-conv1×1 (bnSize·growthRate) - BN-ReLU-conv3×3 (growthRate) over the concatenation of all
 * previous feature maps; transitions halve channels and resolution. Keys: features.conv0/norm0,
 * features.denseblock{b}.denselayer{l}.norm1/conv1/norm2/conv2, features.transition{b}.norm/conv,
 * features.norm5, classifier.
 */
import type { Tensor } from '../tensor/tensor.js';
import { cat } from '../ops/join.js';
import * as F from '../nn/functional.js';
import * as nn from '../nn/index.js';
import { checkOptions, checkRate, initModules, initNorm, type ClassifierOptions } from './common.js';

export interface DenseNetOptions extends ClassifierOptions {
  /** Dropout after each dense layer (default 0). */
  dropRate?: number;
  /** Accepted for torchvision compatibility (checkpointing); has no effect here. */
  memoryEfficient?: boolean;
}

export const DENSENET_OPTIONS = ['numClasses', 'inChannels', 'dropRate', 'memoryEfficient'] as const;

/** BN-ReLU-conv1×1-BN-ReLU-conv3×3 producing growthRate new channels from the concatenated inputs. */
export class DenseLayer extends nn.Module {
  /** torchvision's class name, as print(model) shows it. */
  override getName(): string {
    return '_DenseLayer';
  }

  norm1: nn.BatchNorm2d;
  relu1: nn.ReLU;
  conv1: nn.Conv2d;
  norm2: nn.BatchNorm2d;
  relu2: nn.ReLU;
  conv2: nn.Conv2d;
  readonly dropRate: number;

  constructor(inFeatures: number, growthRate: number, bnSize: number, dropRate: number) {
    super();
    this.norm1 = new nn.BatchNorm2d(inFeatures);
    this.relu1 = new nn.ReLU({ inplace: true });
    this.conv1 = new nn.Conv2d(inFeatures, bnSize * growthRate, 1, { bias: false });
    this.norm2 = new nn.BatchNorm2d(bnSize * growthRate);
    this.relu2 = new nn.ReLU({ inplace: true });
    this.conv2 = new nn.Conv2d(bnSize * growthRate, growthRate, 3, { padding: 1, bias: false });
    this.dropRate = dropRate;
  }

  forward(inputs: Tensor | Tensor[]): Tensor {
    const x = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : cat(inputs, 1)) : inputs;
    const bottleneck = this.conv1.forward(this.relu1.forward(this.norm1.forward(x)));
    const out = this.conv2.forward(this.relu2.forward(this.norm2.forward(bottleneck)));
    return this.dropRate > 0 ? F.dropout(out, { p: this.dropRate, training: this.training }) : out;
  }
}

/** numLayers dense layers (denselayer1 ...), each fed all previous outputs; returns their concatenation. */
export class DenseBlock extends nn.Module {
  /** torchvision's class name, as print(model) shows it. */
  override getName(): string {
    return '_DenseBlock';
  }

  private readonly layers: DenseLayer[] = [];

  constructor(numLayers: number, inFeatures: number, bnSize: number, growthRate: number, dropRate: number) {
    super();
    for (let i = 0; i < numLayers; i++) {
      this.layers.push(this.registerModule(`denselayer${i + 1}`, new DenseLayer(inFeatures + i * growthRate, growthRate, bnSize, dropRate)));
    }
  }

  forward(init: Tensor): Tensor {
    const features = [init];
    for (const layer of this.layers) features.push(layer.forward(features));
    return cat(features, 1);
  }
}

/** BN-ReLU-conv1×1-avgpool2: reduce channels and halve the resolution between dense blocks. */
export class Transition extends nn.Sequential {
  /** torchvision's class name, as print(model) shows it. */
  override getName(): string {
    return '_Transition';
  }

  constructor(inFeatures: number, outFeatures: number) {
    super(new Map<string, nn.Module>([
      ['norm', new nn.BatchNorm2d(inFeatures)],
      ['relu', new nn.ReLU({ inplace: true })],
      ['conv', new nn.Conv2d(inFeatures, outFeatures, 1, { bias: false })],
      ['pool', new nn.AvgPool2d(2, { stride: 2 })],
    ]));
  }
}

export class DenseNet extends nn.Module {
  features: nn.Sequential;
  classifier: nn.Linear;

  constructor(growthRate: number, blockConfig: readonly number[], numInitFeatures: number, options: DenseNetOptions & { name?: string; bnSize?: number } = {}) {
    super();
    const name = options.name ?? 'DenseNet';
    const bnSize = options.bnSize ?? 4;
    const dropRate = checkRate(name, 'dropRate', options.dropRate ?? 0);
    const numClasses = options.numClasses ?? 1000;
    const layers = new Map<string, nn.Module>([
      ['conv0', new nn.Conv2d(options.inChannels ?? 3, numInitFeatures, 7, { stride: 2, padding: 3, bias: false })],
      ['norm0', new nn.BatchNorm2d(numInitFeatures)],
      ['relu0', new nn.ReLU({ inplace: true })],
      ['pool0', new nn.MaxPool2d(3, { stride: 2, padding: 1 })],
    ]);
    let numFeatures = numInitFeatures;
    blockConfig.forEach((numLayers, i) => {
      layers.set(`denseblock${i + 1}`, new DenseBlock(numLayers, numFeatures, bnSize, growthRate, dropRate));
      numFeatures += numLayers * growthRate;
      if (i !== blockConfig.length - 1) {
        layers.set(`transition${i + 1}`, new Transition(numFeatures, Math.floor(numFeatures / 2)));
        numFeatures = Math.floor(numFeatures / 2);
      }
    });
    layers.set('norm5', new nn.BatchNorm2d(numFeatures));
    this.features = new nn.Sequential(layers);
    this.classifier = new nn.Linear(numFeatures, numClasses);
    initModules(this, (m) => {
      if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight);
      else if (m instanceof nn.Linear) {
        if (m.bias) nn.init.zeros_(m.bias);
      } else initNorm(m);
    });
  }

  forward(x: Tensor): Tensor {
    const features = F.relu(this.features.forward(x));
    return this.classifier.forward(F.adaptiveAvgPool2d(features, [1, 1]).flatten(1));
  }
}

function densenet(name: string, growthRate: number, blockConfig: number[], numInitFeatures: number, options: DenseNetOptions): DenseNet {
  checkOptions(name, options, DENSENET_OPTIONS);
  return new DenseNet(growthRate, blockConfig, numInitFeatures, { ...options, name });
}

export const densenet121 = (options: DenseNetOptions = {}): DenseNet => densenet('densenet121', 32, [6, 12, 24, 16], 64, options);
export const densenet161 = (options: DenseNetOptions = {}): DenseNet => densenet('densenet161', 48, [6, 12, 36, 24], 96, options);
export const densenet169 = (options: DenseNetOptions = {}): DenseNet => densenet('densenet169', 32, [6, 12, 32, 32], 64, options);
export const densenet201 = (options: DenseNetOptions = {}): DenseNet => densenet('densenet201', 32, [6, 12, 48, 32], 64, options);
