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
