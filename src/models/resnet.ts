/**
 * ResNet (He et al. 2016) as torchvision 0.14 builds it, with the same module names, so torchvision state
 * dicts load without renaming: resnet18/34 (BasicBlock), resnet50/101/152 (Bottleneck), ResNeXt
 * (resnext50_32x4d, resnext101_32x8d, resnext101_64x4d: grouped 3×3 convolutions) and Wide ResNet
 * (wide_resnet50_2, wide_resnet101_2: twice the bottleneck width) as `groups` / `widthPerGroup` settings.
 * As torchvision (ResNet v1.5) the stride of a downsampling bottleneck sits in its 3×3 convolution.
 *
 * Keys: conv1, bn1, layer{1..4}.{i}.conv1/bn1/conv2/bn2[/conv3/bn3][/downsample.0/downsample.1], fc.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as nn from '../nn/index.js';
import { convBnAct } from '../nn/fusion.js';
import { checkBool, checkOptions, initModules, initNorm, type ClassifierOptions } from './common.js';

export interface ResNetOptions extends ClassifierOptions {
  /** Start the last BN of every residual branch at zero, so each block starts as the identity (default false). */
  zeroInitResidual?: boolean;
  /** Groups of the 3×3 convolutions (ResNeXt cardinality; default 1). */
  groups?: number;
  /** Channels per group of the bottleneck (default 64; 4 for resnext50_32x4d, 128 for wide_resnet50_2). */
  widthPerGroup?: number;
  /**
   * For each of layer2, layer3, layer4: replace its stride 2 by dilation (atrous convolution), keeping the
   * resolution — [false, true, true] gives output stride 8 (DeepLab).
   */
  replaceStrideWithDilation?: [boolean, boolean, boolean];
}

export const RESNET_OPTIONS = ['numClasses', 'inChannels', 'zeroInitResidual', 'groups', 'widthPerGroup', 'replaceStrideWithDilation'] as const;
/** The fixed-architecture builders (resnext/wide) do not take groups/widthPerGroup. */
export const RESNET_FIXED_OPTIONS = ['numClasses', 'inChannels', 'zeroInitResidual', 'replaceStrideWithDilation'] as const;

interface BlockArgs {
  inplanes: number;
  planes: number;
  stride: number;
  downsample: nn.Sequential | null;
  groups: number;
  baseWidth: number;
  dilation: number;
}

/** Two 3×3 convolutions with a shortcut (ResNet-18/34). */
export class BasicBlock extends nn.Module {
  static readonly expansion = 1;
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  relu: nn.ReLU;
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  downsample: nn.Sequential | null;
  readonly stride: number;

  constructor(a: BlockArgs) {
    super();
    if (a.groups !== 1 || a.baseWidth !== 64) throw new Error('BasicBlock: only supports groups=1 and widthPerGroup=64');
    if (a.dilation > 1) throw new Error('BasicBlock: dilation > 1 is not supported');
    this.conv1 = new nn.Conv2d(a.inplanes, a.planes, 3, { stride: a.stride, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(a.planes);
    this.relu = new nn.ReLU({ inplace: true });
    this.conv2 = new nn.Conv2d(a.planes, a.planes, 3, { padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(a.planes);
    this.downsample = a.downsample;
    this.stride = a.stride;
  }

  forward(x: Tensor): Tensor {
    let out = convBnAct(x, this.conv1, this.bn1, this.relu);
    out = convBnAct(out, this.conv2, this.bn2, null);
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return this.relu.forward(out.add(identity));
  }
}

/** 1×1 reduce, 3×3 (strided, grouped, dilated), 1×1 expand ×4, with a shortcut (ResNet-50 and deeper). */
export class Bottleneck extends nn.Module {
  static readonly expansion = 4;
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  conv3: nn.Conv2d;
  bn3: nn.BatchNorm2d;
  relu: nn.ReLU;
  downsample: nn.Sequential | null;
  readonly stride: number;

  constructor(a: BlockArgs) {
    super();
    const width = Math.floor(a.planes * (a.baseWidth / 64)) * a.groups;
    this.conv1 = new nn.Conv2d(a.inplanes, width, 1, { bias: false });
    this.bn1 = new nn.BatchNorm2d(width);
    this.conv2 = new nn.Conv2d(width, width, 3, { stride: a.stride, padding: a.dilation, dilation: a.dilation, groups: a.groups, bias: false });
    this.bn2 = new nn.BatchNorm2d(width);
    this.conv3 = new nn.Conv2d(width, a.planes * Bottleneck.expansion, 1, { bias: false });
    this.bn3 = new nn.BatchNorm2d(a.planes * Bottleneck.expansion);
    this.relu = new nn.ReLU({ inplace: true });
    this.downsample = a.downsample;
    this.stride = a.stride;
  }

  forward(x: Tensor): Tensor {
    let out = convBnAct(x, this.conv1, this.bn1, this.relu);
    out = convBnAct(out, this.conv2, this.bn2, this.relu);
    out = convBnAct(out, this.conv3, this.bn3, null);
    const identity = this.downsample ? this.downsample.forward(x) : x;
    return this.relu.forward(out.add(identity));
  }
}

export type BlockType = typeof BasicBlock | typeof Bottleneck;

/** torchvision's ResNet: stem (7×7 conv, BN, ReLU, 3×3 max pool), four stages, global pooling, fc. */
export class ResNet extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  relu: nn.ReLU;
  maxpool: nn.MaxPool2d;
  layer1: nn.Sequential;
  layer2: nn.Sequential;
  layer3: nn.Sequential;
  layer4: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d | null;
  fc: nn.Linear | null;
  private inplanes = 64;
  private dilation = 1;
  private readonly groups: number;
  private readonly baseWidth: number;

  constructor(block: BlockType, layers: readonly [number, number, number, number], options: ResNetOptions & { name?: string } = {}) {
    super();
    const name = options.name ?? 'ResNet';
    const numClasses = options.numClasses ?? 1000;
    const inChannels = options.inChannels ?? 3;
    this.groups = options.groups ?? 1;
    this.baseWidth = options.widthPerGroup ?? 64;
    for (const [k, v] of [['groups', this.groups], ['widthPerGroup', this.baseWidth]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${name}: ${k} must be a positive integer, got ${String(v)}`);
    }
    const dilate = options.replaceStrideWithDilation ?? [false, false, false];
    if (!Array.isArray(dilate) || dilate.length !== 3 || !dilate.every((d) => typeof d === 'boolean')) {
      throw new Error(`${name}: replaceStrideWithDilation should be null or a 3-element list of booleans, got ${JSON.stringify(dilate)}`);
    }
    const zeroInit = checkBool(name, 'zeroInitResidual', options.zeroInitResidual, false);
    this.conv1 = new nn.Conv2d(inChannels, 64, 7, { stride: 2, padding: 3, bias: false });
    this.bn1 = new nn.BatchNorm2d(64);
    this.relu = new nn.ReLU({ inplace: true });
    this.maxpool = new nn.MaxPool2d(3, { stride: 2, padding: 1 });
    this.layer1 = this.makeLayer(block, 64, layers[0]);
    this.layer2 = this.makeLayer(block, 128, layers[1], 2, dilate[0]);
    this.layer3 = this.makeLayer(block, 256, layers[2], 2, dilate[1]);
    this.layer4 = this.makeLayer(block, 512, layers[3], 2, dilate[2]);
    this.avgpool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.fc = new nn.Linear(512 * block.expansion, numClasses);
    initModules(this, (m) => {
      if (m instanceof nn.Conv2d) nn.init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      else initNorm(m);
    });
    if (zeroInit) {
      initModules(this, (m) => {
        if (m instanceof Bottleneck && m.bn3.weight) nn.init.zeros_(m.bn3.weight);
        else if (m instanceof BasicBlock && m.bn2.weight) nn.init.zeros_(m.bn2.weight);
      });
    }
  }

  private makeLayer(block: BlockType, planes: number, blocks: number, stride = 1, dilate = false): nn.Sequential {
    let downsample: nn.Sequential | null = null;
    const previousDilation = this.dilation;
    if (dilate) {
      this.dilation *= stride;
      stride = 1;
    }
    if (stride !== 1 || this.inplanes !== planes * block.expansion) {
      downsample = new nn.Sequential(
        new nn.Conv2d(this.inplanes, planes * block.expansion, 1, { stride, bias: false }),
        new nn.BatchNorm2d(planes * block.expansion),
      );
    }
    const common = { planes, groups: this.groups, baseWidth: this.baseWidth };
    const list: nn.Module[] = [new block({ ...common, inplanes: this.inplanes, stride, downsample, dilation: previousDilation })];
    this.inplanes = planes * block.expansion;
    for (let i = 1; i < blocks; i++) list.push(new block({ ...common, inplanes: this.inplanes, stride: 1, downsample: null, dilation: this.dilation }));
    return new nn.Sequential(...list);
  }

  /** The stem and the four stages: the last feature map [N, 512·expansion, H/32, W/32] (or /8 with dilation). */
  forwardFeatures(x: Tensor): { layer3: Tensor; layer4: Tensor } {
    let out = this.maxpool.forward(convBnAct(x, this.conv1, this.bn1, this.relu));
    out = this.layer2.forward(this.layer1.forward(out));
    const layer3 = this.layer3.forward(out);
    return { layer3, layer4: this.layer4.forward(layer3) };
  }

  forward(x: Tensor): Tensor {
    if (!this.avgpool || !this.fc) throw new Error('ResNet: this network has no classifier (it is used as a backbone); call forwardFeatures');
    const { layer4 } = this.forwardFeatures(x);
    return this.fc.forward(this.avgpool.forward(layer4).flatten(1));
  }
}

function build(name: string, block: BlockType, layers: [number, number, number, number], options: ResNetOptions, allowed: readonly string[], fixed: ResNetOptions = {}): ResNet {
  checkOptions(name, options, allowed);
  return new ResNet(block, layers, { ...options, ...fixed, name });
}

export const resnet18 = (options: ResNetOptions = {}): ResNet => build('resnet18', BasicBlock, [2, 2, 2, 2], options, RESNET_OPTIONS);
export const resnet34 = (options: ResNetOptions = {}): ResNet => build('resnet34', BasicBlock, [3, 4, 6, 3], options, RESNET_OPTIONS);
export const resnet50 = (options: ResNetOptions = {}): ResNet => build('resnet50', Bottleneck, [3, 4, 6, 3], options, RESNET_OPTIONS);
export const resnet101 = (options: ResNetOptions = {}): ResNet => build('resnet101', Bottleneck, [3, 4, 23, 3], options, RESNET_OPTIONS);
export const resnet152 = (options: ResNetOptions = {}): ResNet => build('resnet152', Bottleneck, [3, 8, 36, 3], options, RESNET_OPTIONS);
/** ResNeXt-50 32×4d: 32 groups of 4 channels in the first stage's 3×3 convolutions. */
export const resnext50_32x4d = (options: ResNetOptions = {}): ResNet =>
  build('resnext50_32x4d', Bottleneck, [3, 4, 6, 3], options, RESNET_FIXED_OPTIONS, { groups: 32, widthPerGroup: 4 });
export const resnext101_32x8d = (options: ResNetOptions = {}): ResNet =>
  build('resnext101_32x8d', Bottleneck, [3, 4, 23, 3], options, RESNET_FIXED_OPTIONS, { groups: 32, widthPerGroup: 8 });
export const resnext101_64x4d = (options: ResNetOptions = {}): ResNet =>
  build('resnext101_64x4d', Bottleneck, [3, 4, 23, 3], options, RESNET_FIXED_OPTIONS, { groups: 64, widthPerGroup: 4 });
/** Wide ResNet-50-2: bottlenecks twice as wide (the outer 1×1 convolutions keep their width). */
export const wide_resnet50_2 = (options: ResNetOptions = {}): ResNet =>
  build('wide_resnet50_2', Bottleneck, [3, 4, 6, 3], options, RESNET_FIXED_OPTIONS, { widthPerGroup: 128 });
export const wide_resnet101_2 = (options: ResNetOptions = {}): ResNet =>
  build('wide_resnet101_2', Bottleneck, [3, 4, 23, 3], options, RESNET_FIXED_OPTIONS, { widthPerGroup: 128 });
