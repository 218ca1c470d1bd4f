/**
 * Semantic segmentation as torchvision 0.14 builds it:
 * - `deeplabv3_resnet50` / `deeplabv3_resnet101` (Chen et al. 2017, DeepLab v3): a ResNet backbone whose
 *   layer3 and layer4 use dilated (atrous) convolutions instead of strides (output stride 8), an ASPP head
 *   (1×1 conv, three 3×3 atrous convs with rates 12/24/36, image pooling; concatenated and projected to
 *   256 channels), a 3×3 conv, and a 1×1 classifier; the logits are upsampled bilinearly to the input size.
 * - `fcn_resnet50` / `fcn_resnet101` (Long et al. 2015): the same backbone with a simple FCN head.
 * With `auxLoss` an FCN head on layer3 gives auxiliary logits. forward returns {out, aux?}, as torchvision's
 * dict. Keys: backbone.* (ResNet without fc), classifier.*, aux_classifier.*; numClasses defaults to 21 (VOC).
 */
import type { Tensor } from '../tensor/tensor.js';
import { cat } from '../ops/join.js';
import * as F from '../nn/functional.js';
import * as nn from '../nn/index.js';
import { checkBool, checkOptions, type ClassifierOptions } from './common.js';
import { ResNet, Bottleneck } from './resnet.js';

export interface SegmentationOptions extends ClassifierOptions {
  /** Add the auxiliary FCN head on layer3 (default false). */
  auxLoss?: boolean;
}

export const SEGMENTATION_OPTIONS = ['numClasses', 'inChannels', 'auxLoss'] as const;

/** What the segmentation models return: logits at the input resolution, and the auxiliary ones with auxLoss. */
export interface SegmentationOutput {
  out: Tensor;
  aux?: Tensor;
}

const convBnRelu = (cin: number, cout: number, k: number, dilation = 1): nn.Module[] => [
  new nn.Conv2d(cin, cout, k, { padding: k === 1 ? 0 : dilation, dilation, bias: false }),
  new nn.BatchNorm2d(cout),
  new nn.ReLU(),
];

/** A 3×3 atrous conv-BN-ReLU branch of ASPP (torchvision's ASPPConv). */
export class ASPPConv extends nn.Sequential {
  constructor(inChannels: number, outChannels: number, dilation: number) {
    super(...convBnRelu(inChannels, outChannels, 3, dilation));
  }
}

/** Image-level features: global average pool, 1×1 conv-BN-ReLU, upsampled back to the input size. */
export class ASPPPooling extends nn.Sequential {
  constructor(inChannels: number, outChannels: number) {
    super(new nn.AdaptiveAvgPool2d(1), ...convBnRelu(inChannels, outChannels, 1));
  }

  override forward(x: Tensor): Tensor {
    const size = x.shape.slice(-2);
    return F.interpolate(super.forward(x) as Tensor, { size, mode: 'bilinear', alignCorners: false });
  }
}

/** Atrous spatial pyramid pooling: parallel 1×1, atrous 3×3 (each rate) and image pooling, projected. */
export class ASPP extends nn.Module {
  convs: nn.ModuleList;
  project: nn.Sequential;

  constructor(inChannels: number, atrousRates: readonly number[], outChannels = 256) {
    super();
    const modules: nn.Module[] = [new nn.Sequential(...convBnRelu(inChannels, outChannels, 1))];
    for (const rate of atrousRates) modules.push(new ASPPConv(inChannels, outChannels, rate));
    modules.push(new ASPPPooling(inChannels, outChannels));
    this.convs = new nn.ModuleList(modules);
    this.project = new nn.Sequential(...convBnRelu(modules.length * outChannels, outChannels, 1), new nn.Dropout(0.5));
  }

  forward(x: Tensor): Tensor {
    const res = [...this.convs].map((m) => m.forward(x) as Tensor);
    return this.project.forward(cat(res, 1));
  }
}

/** ASPP(2048 → 256, rates 12/24/36), 3×3 conv-BN-ReLU, 1×1 conv to numClasses. */
export class DeepLabHead extends nn.Sequential {
  constructor(inChannels: number, numClasses: number, atrousRates: readonly number[] = [12, 24, 36]) {
    super(new ASPP(inChannels, atrousRates), ...convBnRelu(256, 256, 3), new nn.Conv2d(256, numClasses, 1));
  }
}

/** 3×3 conv-BN-ReLU to in/4 channels, dropout 0.1, 1×1 conv to numClasses. */
export class FCNHead extends nn.Sequential {
  constructor(inChannels: number, channels: number) {
    const inter = Math.floor(inChannels / 4);
    super(...convBnRelu(inChannels, inter, 3), new nn.Dropout(0.1), new nn.Conv2d(inter, channels, 1));
  }
}

/** Backbone → head → bilinear upsampling to the input size (torchvision's _SimpleSegmentationModel). */
export class SegmentationModel extends nn.Module {
  backbone: IntermediateLayerGetter;
  classifier: nn.Module;
  aux_classifier: nn.Module | null;

  constructor(backbone: IntermediateLayerGetter, classifier: nn.Module, auxClassifier: nn.Module | null) {
    super();
    this.backbone = backbone;
    this.classifier = classifier;
    this.aux_classifier = auxClassifier;
  }

  forward(x: Tensor): SegmentationOutput {
    const size = x.shape.slice(-2);
    // Through backbone.forward (not forwardFeatures), so that hooks on the backbone fire, as in torchvision.
    const features: { out: Tensor; aux: Tensor } = this.backbone.forward(x);
    const up = (t: Tensor) => F.interpolate(t, { size, mode: 'bilinear', alignCorners: false });
    const result: SegmentationOutput = { out: up(this.classifier.forward(features.out) as Tensor) };
    if (this.aux_classifier) result.aux = up(this.aux_classifier.forward(features.aux) as Tensor);
    return result;
  }
}

/** DeepLabV3: a SegmentationModel with a DeepLabHead (printed as torchvision's DeepLabV3). */
export class DeepLabV3 extends SegmentationModel {}

/** FCN: a SegmentationModel with an FCNHead (printed as torchvision's FCN). */
export class FCN extends SegmentationModel {}

/**
 * A dilated ResNet (output stride 8) without avgpool/fc, as torchvision's IntermediateLayerGetter keeps it
 * (the children up to layer4; printed under that name).
 */
export class IntermediateLayerGetter extends ResNet {
  constructor(layers: [number, number, number, number], inChannels: number) {
    super(Bottleneck, layers, { inChannels, replaceStrideWithDilation: [false, true, true] });
    delete (this as any).avgpool;
    delete (this as any).fc;
  }

  /** The layer4 and layer3 feature maps as torchvision's return_layers {layer4: 'out', layer3: 'aux'}. */
  override forward(x: Tensor): any {
    const { layer3, layer4 } = this.forwardFeatures(x);
    return { out: layer4, aux: layer3 };
  }
}

function segmentation(name: string, head: 'deeplabv3' | 'fcn', layers: [number, number, number, number], options: SegmentationOptions): SegmentationModel {
  checkOptions(name, options, SEGMENTATION_OPTIONS);
  const numClasses = options.numClasses ?? 21;
  const aux = checkBool(name, 'auxLoss', options.auxLoss, false);
  const backbone = new IntermediateLayerGetter(layers, options.inChannels ?? 3);
  const auxClassifier = aux ? new FCNHead(1024, numClasses) : null;
  return head === 'deeplabv3'
    ? new DeepLabV3(backbone, new DeepLabHead(2048, numClasses), auxClassifier)
    : new FCN(backbone, new FCNHead(2048, numClasses), auxClassifier);
}

/** DeepLabV3 with a ResNet-50 backbone (39.6M parameters; 42.0M with auxLoss). */
export const deeplabv3_resnet50 = (options: SegmentationOptions = {}): SegmentationModel => segmentation('deeplabv3_resnet50', 'deeplabv3', [3, 4, 6, 3], options);
export const deeplabv3_resnet101 = (options: SegmentationOptions = {}): SegmentationModel => segmentation('deeplabv3_resnet101', 'deeplabv3', [3, 4, 23, 3], options);
/** FCN with a ResNet-50 backbone (33.0M parameters; 35.3M with auxLoss). */
export const fcn_resnet50 = (options: SegmentationOptions = {}): SegmentationModel => segmentation('fcn_resnet50', 'fcn', [3, 4, 6, 3], options);
export const fcn_resnet101 = (options: SegmentationOptions = {}): SegmentationModel => segmentation('fcn_resnet101', 'fcn', [3, 4, 23, 3], options);
