/**
 * The CIFAR-10 networks of He et al. 2016 ("Deep Residual Learning", section 4.2): a 3×3 conv (16 channels),
 * three stages of n basic blocks with 16/32/64 channels (the first block of stages 2 and 3 halves the
 * resolution), global average pooling and a linear layer; 6n + 2 layers: resnet20/32/44/56/110 (n = 3, 5, 7,
 * 9, 18) and the plain nets plain20 ... plain110 (the same layers without shortcuts).
 *
 * Shortcuts: option 'A' (default, the paper's CIFAR choice) — identity, and where the shape changes,
 * stride-2 subsampling with the new channels zero-padded (no parameters); option 'B' — a 1×1 conv + BN
 * projection where the shape changes.
 *
 * `stochasticDepth` (Huang et al. 2016, "Deep Networks with Stochastic Depth"): in training each residual
 * branch l = 1..L is kept with probability p_l = 1 − l/L·(1 − p_L) (linear decay to p_L, 0.5 by default or
 * the number given) and dropped whole otherwise (the block is then ReLU(shortcut(x))); at test time the
 * branch is scaled by p_l: ReLU(p_l·f(x) + shortcut(x)).
 *
 * State-dict keys: conv1, bn1, layer{1,2,3}.{i}.conv1/bn1/conv2/bn2 (+ .shortcut.0/.shortcut.1 for option B), fc.
 */
import type { Tensor } from '../tensor/tensor.js';
import { rand } from '../tensor/creation.js';
import * as F from '../nn/functional.js';
import * as nn from '../nn/index.js';
import { convBnAct } from '../nn/fusion.js';
import { checkBool, checkOptions, initModules, initNorm, type ClassifierOptions } from './common.js';

export interface CifarResNetOptions extends ClassifierOptions {
  /** 'A': zero-padding identity shortcuts (default); 'B': 1×1 conv projections where the shape changes. */
  shortcut?: 'A' | 'B';
  /** Drop whole residual branches in training: true (final survival probability 0.5) or that probability. */
  stochasticDepth?: boolean | number;
  /** Start each block's last BN weight at zero (the block starts as its shortcut). */
  zeroInitResidual?: boolean;
}
export type CifarPlainOptions = ClassifierOptions;

export const CIFAR_RESNET_OPTIONS = ['numClasses', 'inChannels', 'shortcut', 'stochasticDepth', 'zeroInitResidual'] as const;
export const CIFAR_PLAIN_OPTIONS = ['numClasses', 'inChannels'] as const;

/**
 * Option-A shortcut: x[:, :, ::stride, ::stride] with (outChannels − inChannels) zero channels, half before
 * and half after (no parameters).
 */
export class PadShortcut extends nn.Module {
  readonly stride: number;
  readonly padChannels: number;

  constructor(inChannels: number, outChannels: number, stride: number) {
    super();
    this.stride = stride;
    this.padChannels = outChannels - inChannels;
  }

  forward(x: Tensor): Tensor {
    let out = x;
    if (this.stride !== 1) out = out.slice(2, null, null, this.stride).slice(3, null, null, this.stride);
    if (this.padChannels > 0) {
      const before = Math.floor(this.padChannels / 2);
      out = F.pad(out, [0, 0, 0, 0, before, this.padChannels - before]);
    }
    return out;
  }

  override extraRepr(): string {
    return `stride=${this.stride}, pad_channels=${this.padChannels}`;
  }
}

/** Two 3×3 conv-BN layers with a shortcut (or none, in the plain nets), optionally dropped whole in training. */
export class CifarBasicBlock extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  relu: nn.ReLU;
  shortcut: nn.Module | null;
  /** Survival probability of the residual branch (1: never dropped). */
  survivalProb: number;
  readonly residual: boolean;

  constructor(inChannels: number, outChannels: number, stride: number, options: { residual: boolean; shortcut: 'A' | 'B'; survivalProb: number }) {
    super();
    this.conv1 = new nn.Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(outChannels);
    this.conv2 = new nn.Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(outChannels);
    this.relu = new nn.ReLU();
    this.residual = options.residual;
    this.survivalProb = options.survivalProb;
    const changes = stride !== 1 || inChannels !== outChannels;
    if (!options.residual || !changes) this.shortcut = null;
    else if (options.shortcut === 'A') this.shortcut = new PadShortcut(inChannels, outChannels, stride);
    else {
      this.shortcut = new nn.Sequential(
        new nn.Conv2d(inChannels, outChannels, 1, { stride, bias: false }),
        new nn.BatchNorm2d(outChannels),
      );
    }
  }

  private branch(x: Tensor): Tensor {
    return convBnAct(convBnAct(x, this.conv1, this.bn1, this.relu), this.conv2, this.bn2, null);
  }

  forward(x: Tensor): Tensor {
    if (!this.residual) return this.relu.forward(this.branch(x));
    const identity = this.shortcut ? this.shortcut.forward(x) : x;
    const p = this.survivalProb;
    let out: Tensor;
    if (p >= 1) out = this.branch(x).add(identity);
    else if (!this.training) out = this.branch(x).mul(p).add(identity);
    else if (rand([1]).item() >= p) out = identity;
    else out = this.branch(x).add(identity);
    return this.relu.forward(out);
  }

  override extraRepr(): string {
    return this.residual && this.survivalProb < 1 ? `survival_prob=${this.survivalProb}` : '';
  }
}

/** ResNet / plain net for 32×32 images: 6n + 2 layers. */
export class CifarResNet extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  layer1: nn.Sequential;
  layer2: nn.Sequential;
  layer3: nn.Sequential;
  relu: nn.ReLU;
  avgpool: nn.AdaptiveAvgPool2d;
  fc: nn.Linear;

  constructor(depth: number, options: CifarResNetOptions & { residual: boolean; name: string }) {
    super();
    const name = options.name;
    if (!Number.isInteger(depth) || (depth - 2) % 6 !== 0 || depth < 8) throw new Error(`${name}: depth must be 6n + 2 (20, 32, 44, 56, 110, ...), got ${depth}`);
    const n = (depth - 2) / 6;
    const shortcut = options.shortcut ?? 'A';
    if (shortcut !== 'A' && shortcut !== 'B') throw new Error(`${name}: shortcut must be 'A' or 'B', got ${String(shortcut)}`);
    const sd = options.stochasticDepth ?? false;
    let finalSurvival = 1;
    if (sd === true) finalSurvival = 0.5;
    else if (typeof sd === 'number') {
      if (!(sd > 0 && sd <= 1)) throw new Error(`${name}: stochasticDepth must be true/false or the final survival probability in (0, 1], got ${sd}`);
      finalSurvival = sd;
    } else if (sd !== false) throw new Error(`${name}: stochasticDepth must be a boolean or a number, got ${typeof sd}`);
    const zeroInit = checkBool(name, 'zeroInitResidual', options.zeroInitResidual, false);
    const inChannels = options.inChannels ?? 3;
    const numClasses = options.numClasses ?? 10;
    this.conv1 = new nn.Conv2d(inChannels, 16, 3, { padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(16);
    const total = 3 * n;
    let index = 0;
    let cin = 16;
    const stage = (cout: number, stride: number): nn.Sequential => {
      const blocks: nn.Module[] = [];
      for (let i = 0; i < n; i++) {
        index++;
        const survivalProb = 1 - (index / total) * (1 - finalSurvival);
        blocks.push(new CifarBasicBlock(cin, cout, i === 0 ? stride : 1, { residual: options.residual, shortcut, survivalProb }));
        cin = cout;
      }
      return new nn.Sequential(...blocks);
    };
    this.layer1 = stage(16, 1);
    this.layer2 = stage(32, 2);
    this.layer3 = stage(64, 2);
    this.relu = new nn.ReLU();
    this.avgpool = new nn.AdaptiveAvgPool2d(1);
    this.fc = new nn.Linear(64, numClasses);
    initModules(this, (m) => {
      if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      else initNorm(m);
    });
    if (zeroInit) initModules(this, (m) => {
      if (m instanceof CifarBasicBlock && m.bn2.weight) nn.init.zeros_(m.bn2.weight);
    });
  }

  forward(x: Tensor): Tensor {
    let out = convBnAct(x, this.conv1, this.bn1, this.relu);
    out = this.layer3.forward(this.layer2.forward(this.layer1.forward(out)));
    return this.fc.forward(this.avgpool.forward(out).flatten(1));
  }
}

function cifarResNet(name: string, depth: number, options: CifarResNetOptions): CifarResNet {
  checkOptions(name, options, CIFAR_RESNET_OPTIONS);
  return new CifarResNet(depth, { ...options, residual: true, name });
}

function cifarPlain(name: string, depth: number, options: CifarPlainOptions): CifarResNet {
  checkOptions(name, options, CIFAR_PLAIN_OPTIONS);
  return new CifarResNet(depth, { ...options, residual: false, name });
}

/** ResNet-20 for CIFAR (0.27M parameters with option-A shortcuts). */
export const resnet20 = (options: CifarResNetOptions = {}): CifarResNet => cifarResNet('resnet20', 20, options);
export const resnet32 = (options: CifarResNetOptions = {}): CifarResNet => cifarResNet('resnet32', 32, options);
export const resnet44 = (options: CifarResNetOptions = {}): CifarResNet => cifarResNet('resnet44', 44, options);
export const resnet56 = (options: CifarResNetOptions = {}): CifarResNet => cifarResNet('resnet56', 56, options);
/** ResNet-110 for CIFAR (1.7M parameters). */
export const resnet110 = (options: CifarResNetOptions = {}): CifarResNet => cifarResNet('resnet110', 110, options);
export const plain20 = (options: CifarPlainOptions = {}): CifarResNet => cifarPlain('plain20', 20, options);
export const plain32 = (options: CifarPlainOptions = {}): CifarResNet => cifarPlain('plain32', 32, options);
export const plain44 = (options: CifarPlainOptions = {}): CifarResNet => cifarPlain('plain44', 44, options);
export const plain56 = (options: CifarPlainOptions = {}): CifarResNet => cifarPlain('plain56', 56, options);
export const plain110 = (options: CifarPlainOptions = {}): CifarResNet => cifarPlain('plain110', 110, options);

/** Any depth 6n + 2: `cifarResnet(1202)`, `cifarResnet(20, {plain: true})`. */
export function cifarResnet(depth: number, options: CifarResNetOptions & { plain?: boolean } = {}): CifarResNet {
  const { plain, ...rest } = options;
  return plain ? cifarPlain(`plain${depth}`, depth, rest) : cifarResNet(`resnet${depth}`, depth, rest);
}
