/**
 * EfficientNet B0–B7 (Tan & Le 2019) as torchvision 0.14 builds it: MBConv blocks (1×1 expansion, depthwise
 * k×k, squeeze-and-excitation with SiLU, 1×1 projection) with SiLU activations and stochastic depth on the
 * residual blocks (drop probability rising linearly from 0 to `stochasticDepthProb` over the blocks, per
 * sample, torchvision's StochasticDepth 'row': kept branches are scaled by 1/(1 − p) in training, identity at
 * test). Keys: features.0 (stem), features.1–7 (stages).{i}.block.{j}, features.8 (head), classifier.1.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as nn from '../nn/index.js';
import { checkOptions, checkRate, initModules, initNorm, type ClassifierOptions } from './common.js';
import { Conv2dNormActivation, makeDivisible, SqueezeExcitation, StochasticDepth } from './layers.js';

export interface EfficientNetOptions extends ClassifierOptions {
  /** Dropout before the classifier (default 0.2 for B0/B1, up to 0.5 for B7). */
  dropout?: number;
  /** Drop probability of the last block's residual branch (default 0.2). */
  stochasticDepthProb?: number;
}

export const EFFICIENTNET_OPTIONS = ['numClasses', 'inChannels', 'dropout', 'stochasticDepthProb'] as const;

/** One MBConv stage setting (before width/depth scaling): expansion, kernel, stride, in, out, layers. */
export interface MBConvConfig {
  expandRatio: number;
  kernel: number;
  stride: number;
  inputChannels: number;
  outChannels: number;
  numLayers: number;
}

const B0_STAGES: [number, number, number, number, number, number][] = [
  [1, 3, 1, 32, 16, 1], [6, 3, 2, 16, 24, 2], [6, 5, 2, 24, 40, 2], [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3], [6, 5, 2, 112, 192, 4], [6, 3, 1, 192, 320, 1],
];

/** Mobile inverted bottleneck with squeeze-and-excitation; residual when stride 1 and in = out. */
export class MBConv extends nn.Module {
  block: nn.Sequential;
  stochastic_depth: StochasticDepth;
  readonly useResConnect: boolean;
  readonly outChannels: number;

  constructor(cnf: MBConvConfig, stochasticDepthProb: number, normLayer: (c: number) => nn.Module) {
    super();
    if (cnf.stride < 1 || cnf.stride > 2) throw new Error(`MBConv: illegal stride value ${cnf.stride}`);
    this.useResConnect = cnf.stride === 1 && cnf.inputChannels === cnf.outChannels;
    const silu = () => new nn.SiLU({ inplace: true });
    const expanded = makeDivisible(cnf.inputChannels * cnf.expandRatio, 8);
    const layers: nn.Module[] = [];
    if (expanded !== cnf.inputChannels) layers.push(new Conv2dNormActivation(cnf.inputChannels, expanded, 1, { normLayer, activationLayer: silu }));
    layers.push(new Conv2dNormActivation(expanded, expanded, cnf.kernel, { stride: cnf.stride, groups: expanded, normLayer, activationLayer: silu }));
    layers.push(new SqueezeExcitation(expanded, Math.max(1, Math.floor(cnf.inputChannels / 4)), silu));
    layers.push(new Conv2dNormActivation(expanded, cnf.outChannels, 1, { normLayer, activationLayer: null }));
    this.block = new nn.Sequential(...layers);
    this.stochastic_depth = new StochasticDepth(stochasticDepthProb, 'row');
    this.outChannels = cnf.outChannels;
  }

  forward(x: Tensor): Tensor {
    const result = this.block.forward(x);
    return this.useResConnect ? this.stochastic_depth.forward(result).add(x) : result;
  }
}

export class EfficientNet extends nn.Module {
  features: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  classifier: nn.Sequential;

  constructor(
    setting: MBConvConfig[], dropout: number,
    options: { stochasticDepthProb?: number; numClasses?: number; inChannels?: number; normLayer?: (c: number) => nn.Module; name?: string } = {},
  ) {
    super();
    const name = options.name ?? 'EfficientNet';
    const sdProb = checkRate(name, 'stochasticDepthProb', options.stochasticDepthProb ?? 0.2);
    checkRate(name, 'dropout', dropout);
    const normLayer = options.normLayer ?? ((c: number) => new nn.BatchNorm2d(c));
    const layers: nn.Module[] = [
      new Conv2dNormActivation(options.inChannels ?? 3, setting[0].inputChannels, 3, { stride: 2, normLayer, activationLayer: () => new nn.SiLU({ inplace: true }) }),
    ];
    const totalBlocks = setting.reduce((n, c) => n + c.numLayers, 0);
    let blockId = 0;
    for (const cnf of setting) {
      const stage: nn.Module[] = [];
      for (let i = 0; i < cnf.numLayers; i++) {
        const blockCnf = i === 0 ? cnf : { ...cnf, inputChannels: cnf.outChannels, stride: 1 };
        stage.push(new MBConv(blockCnf, (sdProb * blockId) / totalBlocks, normLayer));
        blockId++;
      }
      layers.push(new nn.Sequential(...stage));
    }
    const lastIn = setting[setting.length - 1].outChannels;
    const lastOut = 4 * lastIn;
    layers.push(new Conv2dNormActivation(lastIn, lastOut, 1, { normLayer, activationLayer: () => new nn.SiLU({ inplace: true }) }));
    this.features = new nn.Sequential(...layers);
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.classifier = new nn.Sequential(new nn.Dropout(dropout, { inplace: true }), new nn.Linear(lastOut, options.numClasses ?? 1000));
    initModules(this, (m) => {
      if (m instanceof nn.Conv2d) {
        nn.init.kaimingNormal_(m.weight, { mode: 'fan_out' });
        if (m.bias) nn.init.zeros_(m.bias);
      } else if (m instanceof nn.Linear) {
        const r = 1 / Math.sqrt(m.outFeatures);
        nn.init.uniform_(m.weight, { a: -r, b: r });
        if (m.bias) nn.init.zeros_(m.bias);
      } else initNorm(m);
    });
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}

/** The stage settings of EfficientNet-B0 scaled by width and depth multipliers. */
export function efficientnetConfig(widthMult: number, depthMult: number): MBConvConfig[] {
  return B0_STAGES.map(([expandRatio, kernel, stride, cin, cout, n]) => ({
    expandRatio, kernel, stride,
    inputChannels: makeDivisible(cin * widthMult, 8),
    outChannels: makeDivisible(cout * widthMult, 8),
    numLayers: Math.ceil(n * depthMult),
  }));
}

function efficientnet(name: string, widthMult: number, depthMult: number, dropout: number, options: EfficientNetOptions, bnLarge = false): EfficientNet {
  checkOptions(name, options, EFFICIENTNET_OPTIONS);
  const normLayer = bnLarge ? (c: number) => new nn.BatchNorm2d(c, { eps: 0.001, momentum: 0.01 }) : undefined;
  return new EfficientNet(efficientnetConfig(widthMult, depthMult), options.dropout ?? dropout, { ...options, normLayer, name });
}

/** EfficientNet-B0 (5.3M parameters, 0.39 GMACs at 224×224). */
export const efficientnet_b0 = (options: EfficientNetOptions = {}): EfficientNet => efficientnet('efficientnet_b0', 1.0, 1.0, 0.2, options);
export const efficientnet_b1 = (options: EfficientNetOptions = {}): EfficientNet => efficientnet('efficientnet_b1', 1.0, 1.1, 0.2, options);
export const efficientnet_b2 = (options: EfficientNetOptions = {}): EfficientNet => efficientnet('efficientnet_b2', 1.1, 1.2, 0.3, options);
export const efficientnet_b3 = (options: EfficientNetOptions = {}): EfficientNet => efficientnet('efficientnet_b3', 1.2, 1.4, 0.3, options);
export const efficientnet_b4 = (options: EfficientNetOptions = {}): EfficientNet => efficientnet('efficientnet_b4', 1.4, 1.8, 0.4, options);
export const efficientnet_b5 = (options: EfficientNetOptions = {}): EfficientNet => efficientnet('efficientnet_b5', 1.6, 2.2, 0.4, options, true);
export const efficientnet_b6 = (options: EfficientNetOptions = {}): EfficientNet => efficientnet('efficientnet_b6', 1.8, 2.6, 0.5, options, true);
export const efficientnet_b7 = (options: EfficientNetOptions = {}): EfficientNet => efficientnet('efficientnet_b7', 2.0, 3.1, 0.5, options, true);
