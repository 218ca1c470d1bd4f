/**
 * VGG (Simonyan & Zisserman 2015) as torchvision 0.14 builds it: vgg11/13/16/19 (configurations A, B, D, E)
 * and their batch-norm variants vgg11_bn ... vgg19_bn. Keys: features.{i} (3×3 convs [+ BN]), classifier.0/3/6.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as nn from '../nn/index.js';
import { checkOptions, checkRate, initModules, initNorm, type ClassifierOptions } from './common.js';

export interface VGGOptions extends ClassifierOptions {
  /** Dropout probability of the classifier (default 0.5). */
  dropout?: number;
}

export const VGG_OPTIONS = ['numClasses', 'inChannels', 'dropout'] as const;

/** Layer configurations: channel counts, 'M' for 2×2 max pooling. */
export const VGG_CONFIGS = {
  A: [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  B: [64, 64, 'M', 128, 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'],
  D: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'],
  E: [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 256, 'M', 512, 512, 512, 512, 'M', 512, 512, 512, 512, 'M'],
} as const satisfies Record<string, readonly (number | 'M')[]>;

/** The convolutional part: 3×3 convs (padding 1) [+ BN] + ReLU, 2×2 max pooling at each 'M'. */
export function vggFeatures(cfg: readonly (number | 'M')[], batchNorm: boolean, inChannels = 3): nn.Sequential {
  const layers: nn.Module[] = [];
  let c = inChannels;
  for (const v of cfg) {
    if (v === 'M') layers.push(new nn.MaxPool2d(2, { stride: 2 }));
    else {
      layers.push(new nn.Conv2d(c, v, 3, { padding: 1 }));
      if (batchNorm) layers.push(new nn.BatchNorm2d(v));
      layers.push(new nn.ReLU({ inplace: true }));
      c = v;
    }
  }
  return new nn.Sequential(...layers);
}

/** features, 7×7 adaptive average pooling, classifier (4096-4096-numClasses with ReLU and dropout). */
export class VGG extends nn.Module {
  features: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  classifier: nn.Sequential;

  constructor(features: nn.Sequential, options: VGGOptions & { name?: string } = {}) {
    super();
    const numClasses = options.numClasses ?? 1000;
    const dropout = checkRate(options.name ?? 'VGG', 'dropout', options.dropout ?? 0.5);
    this.features = features;
    this.avgpool = new nn.AdaptiveAvgPool2d([7, 7]);
    this.classifier = new nn.Sequential(
      new nn.Linear(512 * 7 * 7, 4096), new nn.ReLU({ inplace: true }), new nn.Dropout(dropout),
      new nn.Linear(4096, 4096), new nn.ReLU({ inplace: true }), new nn.Dropout(dropout),
      new nn.Linear(4096, numClasses),
    );
    initModules(this, (m) => {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
        if (m.bias) nn.init.zeros_(m.bias);
      } else if (m instanceof nn.Linear) {
        nn.init.normal_(m.weight, { mean: 0, std: 0.01 });
        if (m.bias) nn.init.zeros_(m.bias);
      } else initNorm(m);
    });
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}

function vgg(name: string, cfg: keyof typeof VGG_CONFIGS, batchNorm: boolean, options: VGGOptions): VGG {
  checkOptions(name, options, VGG_OPTIONS);
  return new VGG(vggFeatures(VGG_CONFIGS[cfg], batchNorm, options.inChannels ?? 3), { ...options, name });
}

export const vgg11 = (options: VGGOptions = {}): VGG => vgg('vgg11', 'A', false, options);
export const vgg13 = (options: VGGOptions = {}): VGG => vgg('vgg13', 'B', false, options);
export const vgg16 = (options: VGGOptions = {}): VGG => vgg('vgg16', 'D', false, options);
export const vgg19 = (options: VGGOptions = {}): VGG => vgg('vgg19', 'E', false, options);
export const vgg11_bn = (options: VGGOptions = {}): VGG => vgg('vgg11_bn', 'A', true, options);
export const vgg13_bn = (options: VGGOptions = {}): VGG => vgg('vgg13_bn', 'B', true, options);
export const vgg16_bn = (options: VGGOptions = {}): VGG => vgg('vgg16_bn', 'D', true, options);
export const vgg19_bn = (options: VGGOptions = {}): VGG => vgg('vgg19_bn', 'E', true, options);
