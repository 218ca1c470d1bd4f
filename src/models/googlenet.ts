/**
 * GoogLeNet / Inception v1 (Szegedy et al. 2015) as torchvision 0.14 builds it: every convolution is
 * conv (no bias) + BatchNorm (eps 0.001) + ReLU (BasicConv2d), and — as torchvision, for compatibility with
 * its weights — the "5×5" branch uses a 3×3 convolution. Optional auxiliary classifiers after inception4a
 * and inception4d (`auxLogits`, default true as torchvision's googlenet() without weights; false gives the
 * keys of the pretrained model). In training with auxLogits the forward returns {logits, auxLogits2,
 * auxLogits1} (torchvision's GoogLeNetOutputs); otherwise the logits.
 */
import type { Tensor } from '../tensor/tensor.js';
import { cat } from '../ops/join.js';
import * as F from '../nn/functional.js';
import * as nn from '../nn/index.js';
import { convBnAct } from '../nn/fusion.js';
import { checkBool, checkOptions, checkRate, initModules, initNorm, type ClassifierOptions } from './common.js';

/** torchvision's BasicConv2d applies F.relu: this module computes the same (and lets conv → bn → relu fuse). */
const RELU = new nn.ReLU();

export interface GoogLeNetOptions extends ClassifierOptions {
  /** Build the two auxiliary classifiers (default true; torchvision's pretrained model has none). */
  auxLogits?: boolean;
  /** Map ImageNet-normalised inputs to the (x − 0.5)/0.5 normalisation of the original weights (default false). */
  transformInput?: boolean;
  /** Dropout before the final layer (default 0.2). */
  dropout?: number;
  /** Dropout of the auxiliary classifiers (default 0.7). */
  dropoutAux?: number;
}

export const GOOGLENET_OPTIONS = ['numClasses', 'inChannels', 'auxLogits', 'transformInput', 'dropout', 'dropoutAux'] as const;

/** What GoogLeNet's forward returns in training with auxiliary classifiers (torchvision's GoogLeNetOutputs). */
export interface GoogLeNetOutputs {
  logits: Tensor;
  auxLogits2: Tensor | null;
  auxLogits1: Tensor | null;
}

/** conv (no bias) + BN(eps 0.001) + ReLU. Keys: conv.weight, bn.*. */
export class BasicConv2d extends nn.Module {
  conv: nn.Conv2d;
  bn: nn.BatchNorm2d;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: { stride?: number; padding?: number } = {}) {
    super();
    this.conv = new nn.Conv2d(inChannels, outChannels, kernelSize, { ...options, bias: false });
    this.bn = new nn.BatchNorm2d(outChannels, { eps: 0.001 });
  }

  forward(x: Tensor): Tensor {
    return convBnAct(x, this.conv, this.bn, RELU);
  }
}

/** Four parallel branches (1×1; 1×1→3×3; 1×1→3×3; 3×3 max pool→1×1) concatenated along channels. */
export class Inception extends nn.Module {
  branch1: BasicConv2d;
  branch2: nn.Sequential;
  branch3: nn.Sequential;
  branch4: nn.Sequential;

  constructor(inChannels: number, ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number) {
    super();
    this.branch1 = new BasicConv2d(inChannels, ch1x1, 1);
    this.branch2 = new nn.Sequential(new BasicConv2d(inChannels, ch3x3red, 1), new BasicConv2d(ch3x3red, ch3x3, 3, { padding: 1 }));
    // torchvision's known deviation from the paper: a 3×3 convolution here (its weights have this shape).
    this.branch3 = new nn.Sequential(new BasicConv2d(inChannels, ch5x5red, 1), new BasicConv2d(ch5x5red, ch5x5, 3, { padding: 1 }));
    this.branch4 = new nn.Sequential(
      new nn.MaxPool2d(3, { stride: 1, padding: 1, ceilMode: true }),
      new BasicConv2d(inChannels, poolProj, 1),
    );
  }

  forward(x: Tensor): Tensor {
    return cat([this.branch1.forward(x), this.branch2.forward(x), this.branch3.forward(x), this.branch4.forward(x)], 1);
  }
}

/** Auxiliary classifier: 4×4 average pooling, 1×1 conv (128), fc 2048→1024, dropout, fc →numClasses. */
export class InceptionAux extends nn.Module {
  conv: BasicConv2d;
  fc1: nn.Linear;
  fc2: nn.Linear;
  dropout: nn.Dropout;

  constructor(inChannels: number, numClasses: number, dropout = 0.7) {
    super();
    this.conv = new BasicConv2d(inChannels, 128, 1);
    this.fc1 = new nn.Linear(2048, 1024);
    this.fc2 = new nn.Linear(1024, numClasses);
    this.dropout = new nn.Dropout(dropout);
  }

  forward(x: Tensor): Tensor {
    const y = this.conv.forward(F.adaptiveAvgPool2d(x, [4, 4])).flatten(1);
    return this.fc2.forward(this.dropout.forward(F.relu(this.fc1.forward(y))));
  }
}

export class GoogLeNet extends nn.Module {
  readonly auxLogits: boolean;
  readonly transformInput: boolean;
  conv1: BasicConv2d;
  maxpool1: nn.MaxPool2d;
  conv2: BasicConv2d;
  conv3: BasicConv2d;
  maxpool2: nn.MaxPool2d;
  inception3a: Inception;
  inception3b: Inception;
  maxpool3: nn.MaxPool2d;
  inception4a: Inception;
  inception4b: Inception;
  inception4c: Inception;
  inception4d: Inception;
  inception4e: Inception;
  maxpool4: nn.MaxPool2d;
  inception5a: Inception;
  inception5b: Inception;
  aux1: InceptionAux | null;
  aux2: InceptionAux | null;
  avgpool: nn.AdaptiveAvgPool2d;
  dropout: nn.Dropout;
  fc: nn.Linear;

  constructor(options: GoogLeNetOptions = {}) {
    super();
    const numClasses = options.numClasses ?? 1000;
    this.auxLogits = checkBool('googlenet', 'auxLogits', options.auxLogits, true);
    this.transformInput = checkBool('googlenet', 'transformInput', options.transformInput, false);
    const dropout = checkRate('googlenet', 'dropout', options.dropout ?? 0.2);
    const dropoutAux = checkRate('googlenet', 'dropoutAux', options.dropoutAux ?? 0.7);
    const inChannels = options.inChannels ?? 3;
    if (this.transformInput && inChannels !== 3) throw new Error(`googlenet: transformInput needs 3 input channels, got inChannels ${inChannels}`);
    const pool = (k: number, s: number) => new nn.MaxPool2d(k, { stride: s, ceilMode: true });
    this.conv1 = new BasicConv2d(inChannels, 64, 7, { stride: 2, padding: 3 });
    this.maxpool1 = pool(3, 2);
    this.conv2 = new BasicConv2d(64, 64, 1);
    this.conv3 = new BasicConv2d(64, 192, 3, { padding: 1 });
    this.maxpool2 = pool(3, 2);
    this.inception3a = new Inception(192, 64, 96, 128, 16, 32, 32);
    this.inception3b = new Inception(256, 128, 128, 192, 32, 96, 64);
    this.maxpool3 = pool(3, 2);
    this.inception4a = new Inception(480, 192, 96, 208, 16, 48, 64);
    this.inception4b = new Inception(512, 160, 112, 224, 24, 64, 64);
    this.inception4c = new Inception(512, 128, 128, 256, 24, 64, 64);
    this.inception4d = new Inception(512, 112, 144, 288, 32, 64, 64);
    this.inception4e = new Inception(528, 256, 160, 320, 32, 128, 128);
    this.maxpool4 = pool(2, 2);
    this.inception5a = new Inception(832, 256, 160, 320, 32, 128, 128);
    this.inception5b = new Inception(832, 384, 192, 384, 48, 128, 128);
    this.aux1 = this.auxLogits ? new InceptionAux(512, numClasses, dropoutAux) : null;
    this.aux2 = this.auxLogits ? new InceptionAux(528, numClasses, dropoutAux) : null;
    this.avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.dropout = new nn.Dropout(dropout);
    this.fc = new nn.Linear(1024, numClasses);
    initModules(this, (m) => {
      if (m instanceof nn.Conv2d || m instanceof nn.Linear) nn.init.truncNormal_(m.weight, { mean: 0, std: 0.01, a: -2, b: 2 });
      else initNorm(m);
    });
  }

  private transform(x: Tensor): Tensor {
    if (!this.transformInput) return x;
    const ch = [0, 1, 2].map((i) => {
      const [mean, std] = [[0.485, 0.229], [0.456, 0.224], [0.406, 0.225]][i];
      return x.narrow(1, i, 1).mul(std / 0.5).add((mean - 0.5) / 0.5);
    });
    return cat(ch, 1);
  }

  forward(input: Tensor): Tensor | GoogLeNetOutputs {
    let x = this.transform(input);
    x = this.maxpool1.forward(this.conv1.forward(x));
    x = this.maxpool2.forward(this.conv3.forward(this.conv2.forward(x)));
    x = this.maxpool3.forward(this.inception3b.forward(this.inception3a.forward(x)));
    x = this.inception4a.forward(x);
    const useAux = this.training && this.auxLogits;
    const aux1 = useAux && this.aux1 ? this.aux1.forward(x) : null;
    x = this.inception4d.forward(this.inception4c.forward(this.inception4b.forward(x)));
    const aux2 = useAux && this.aux2 ? this.aux2.forward(x) : null;
    x = this.maxpool4.forward(this.inception4e.forward(x));
    x = this.inception5b.forward(this.inception5a.forward(x));
    const logits = this.fc.forward(this.dropout.forward(this.avgpool.forward(x).flatten(1)));
    return useAux ? { logits, auxLogits2: aux2, auxLogits1: aux1 } : logits;
  }
}

/** GoogLeNet (6.6M parameters without the auxiliary classifiers, 13.0M with; 1.5 GMACs at 224×224). */
export function googlenet(options: GoogLeNetOptions = {}): GoogLeNet {
  checkOptions('googlenet', options, GOOGLENET_OPTIONS);
  return new GoogLeNet(options);
}
