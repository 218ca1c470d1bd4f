/**
 * MobileNetV2 (Sandler et al. 2018) as torchvision 0.14 builds it: inverted residual blocks (1×1 expansion,
 * depthwise 3×3, linear 1×1 projection) with ReLU6. Keys: features.0 (stem), features.1–17.conv.*,
 * features.18 (1×1 to 1280), classifier.1.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as F from '../nn/functional.js';
import * as nn from '../nn/index.js';
import { checkOptions, checkRate, initModules, initNorm, type ClassifierOptions } from './common.js';
import { Conv2dNormActivation, makeDivisible } from './layers.js';

export interface MobileNetV2Options extends ClassifierOptions {
  /** Width multiplier of every layer (default 1). */
  widthMult?: number;
  /** Round channel counts to multiples of this (default 8). */
  roundNearest?: number;
  /** Dropout before the classifier (default 0.2). */
  dropout?: number;
}

export const MOBILENET_V2_OPTIONS = ['numClasses', 'inChannels', 'widthMult', 'roundNearest', 'dropout'] as const;

/** Inverted residual: [1×1 expand-BN-ReLU6] depthwise 3×3-BN-ReLU6, 1×1 project-BN; residual when shapes allow. */
export class InvertedResidual extends nn.Module {
  conv: nn.Sequential;
  readonly useResConnect: boolean;
  readonly outChannels: number;

  constructor(inp: number, oup: number, stride: number, expandRatio: number) {
    super();
    if (stride !== 1 && stride !== 2) throw new Error(`InvertedResidual: stride should be 1 or 2 instead of ${stride}`);
    const hidden = Math.round(inp * expandRatio);
    this.useResConnect = stride === 1 && inp === oup;
    const relu6 = () => new nn.ReLU6({ inplace: true });
    const layers: nn.Module[] = [];
    if (expandRatio !== 1) layers.push(new Conv2dNormActivation(inp, hidden, 1, { activationLayer: relu6 }));
    layers.push(
      new Conv2dNormActivation(hidden, hidden, 3, { stride, groups: hidden, activationLayer: relu6 }),
      new nn.Conv2d(hidden, oup, 1, { bias: false }),
      new nn.BatchNorm2d(oup),
    );
    this.conv = new nn.Sequential(...layers);
    this.outChannels = oup;
  }

  forward(x: Tensor): Tensor {
    const y = this.conv.forward(x);
    return this.useResConnect ? x.add(y) : y;
  }
}

export class MobileNetV2 extends nn.Module {
  features: nn.Sequential;
  classifier: nn.Sequential;
  readonly lastChannel: number;

  constructor(options: MobileNetV2Options = {}) {
    super();
    const widthMult = options.widthMult ?? 1;
    const round = options.roundNearest ?? 8;
    if (!(widthMult > 0)) throw new Error(`mobilenet_v2: widthMult must be positive, got ${widthMult}`);
    if (!Number.isInteger(round) || round <= 0) throw new Error(`mobilenet_v2: roundNearest must be a positive integer, got ${round}`);
    const dropout = checkRate('mobilenet_v2', 'dropout', options.dropout ?? 0.2);
    const setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];
    let inputChannel = makeDivisible(32 * widthMult, round);
    this.lastChannel = makeDivisible(1280 * Math.max(1, widthMult), round);
    const relu6 = () => new nn.ReLU6({ inplace: true });
    const features: nn.Module[] = [new Conv2dNormActivation(options.inChannels ?? 3, inputChannel, 3, { stride: 2, activationLayer: relu6 })];
    for (const [t, c, n, s] of setting) {
      const out = makeDivisible(c * widthMult, round);
      for (let i = 0; i < n; i++) {
        features.push(new InvertedResidual(inputChannel, out, i === 0 ? s : 1, t));
        inputChannel = out;
      }
    }
    features.push(new Conv2dNormActivation(inputChannel, this.lastChannel, 1, { activationLayer: relu6 }));
    this.features = new nn.Sequential(...features);
    this.classifier = new nn.Sequential(new nn.Dropout(dropout), new nn.Linear(this.lastChannel, options.numClasses ?? 1000));
    initModules(this, (m) => {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight, { mode: 'fan_out' });
        if (m.bias) nn.init.zeros_(m.bias);
      } else if (m instanceof nn.Linear) {
        nn.init.normal_(m.weight, { mean: 0, std: 0.01 });
        if (m.bias) nn.init.zeros_(m.bias);
      } else initNorm(m);
    });
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(F.adaptiveAvgPool2d(this.features.forward(x), [1, 1]).flatten(1));
  }
}

/** MobileNetV2 (3.5M parameters, 0.30 GMACs at 224×224). */
export function mobilenet_v2(options: MobileNetV2Options = {}): MobileNetV2 {
  checkOptions('mobilenet_v2', options, MOBILENET_V2_OPTIONS);
  return new MobileNetV2(options);
}
