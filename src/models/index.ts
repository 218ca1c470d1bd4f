/**
 * The model zoo, `st.models`: builders (`models.resnet50({numClasses: 10})`), the registry
 * (`models.list()`, `models.create('vgg16_bn')`, `models.info(name)`) and `models.summary(model, inputShape)`.
 * See docs/models.md for the table of models, parameters and multiply-adds.
 */
export { list, create, info } from './registry.js';
export type { ModelInfo, ModelTask } from './registry.js';
export type { ClassifierOptions } from './common.js';
export { LeNet5, lenet5, lenet5_classic } from './lenet.js';
export type { LeNetOptions } from './lenet.js';
export {
  CifarResNet, CifarBasicBlock, PadShortcut, cifarResnet,
  resnet20, resnet32, resnet44, resnet56, resnet110, plain20, plain32, plain44, plain56, plain110,
} from './cifar-resnet.js';
export type { CifarResNetOptions, CifarPlainOptions } from './cifar-resnet.js';
export { AlexNet, alexnet } from './alexnet.js';
export type { AlexNetOptions } from './alexnet.js';
export { VGG, VGG_CONFIGS, vggFeatures, vgg11, vgg13, vgg16, vgg19, vgg11_bn, vgg13_bn, vgg16_bn, vgg19_bn } from './vgg.js';
export type { VGGOptions } from './vgg.js';
export {
  ResNet, BasicBlock, Bottleneck, resnet18, resnet34, resnet50, resnet101, resnet152,
  resnext50_32x4d, resnext101_32x8d, resnext101_64x4d, wide_resnet50_2, wide_resnet101_2,
} from './resnet.js';
export type { ResNetOptions, BlockType } from './resnet.js';
export { GoogLeNet, Inception, InceptionAux, BasicConv2d, googlenet } from './googlenet.js';
export type { GoogLeNetOptions, GoogLeNetOutputs } from './googlenet.js';
export { DenseNet, DenseBlock, DenseLayer, Transition, densenet121, densenet161, densenet169, densenet201 } from './densenet.js';
export type { DenseNetOptions } from './densenet.js';
export {
  EfficientNet, MBConv, efficientnetConfig,
  efficientnet_b0, efficientnet_b1, efficientnet_b2, efficientnet_b3, efficientnet_b4, efficientnet_b5, efficientnet_b6, efficientnet_b7,
} from './efficientnet.js';
export type { EfficientNetOptions, MBConvConfig } from './efficientnet.js';
export { MobileNetV2, InvertedResidual, mobilenet_v2 } from './mobilenet.js';
export type { MobileNetV2Options } from './mobilenet.js';
export { VisionTransformer, EncoderBlock, Encoder, MLPBlock, VIT_CONFIGS, vit_b_16, vit_b_32, vit_l_16, vit_l_32, vit_h_14 } from './vit.js';
export type { VisionTransformerOptions, VisionTransformerConfig } from './vit.js';
export {
  SegmentationModel, DeepLabV3, FCN, IntermediateLayerGetter, DeepLabHead, ASPP, ASPPConv, ASPPPooling, FCNHead,
  deeplabv3_resnet50, deeplabv3_resnet101, fcn_resnet50, fcn_resnet101,
} from './deeplab.js';
export type { SegmentationOptions, SegmentationOutput } from './deeplab.js';
export { Conv2dNormActivation, SqueezeExcitation, StochasticDepth, makeDivisible } from './layers.js';
export type { ConvNormActivationOptions } from './layers.js';
export { summary, humanCount } from './summary.js';
export type { SummaryResult, SummaryRow, SummaryOptions } from './summary.js';
