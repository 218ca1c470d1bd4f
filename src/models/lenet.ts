/**
 * LeNet-5 (LeCun et al. 1998), in its common modern form and in the 1998 form.
 *
 * `lenet5`: 28×28 input (MNIST), conv5×5(1→6, padding 2)-ReLU-maxpool2-conv5×5(6→16)-ReLU-maxpool2-flatten-
 * fc(400→120)-ReLU-fc(120→84)-ReLU-fc(84→10); 61,706 parameters.
 *
 * `lenet5_classic`: 32×32 input, tanh, 2×2 average pooling, C5 as a 5×5 convolution (16→120), F6 (120→84)
 * and the output layer (84→10); 61,706 parameters. Simplified as usual: C3 is fully connected to S2 (the
 * paper's partial connection table is not reproduced), S2/S4 have no trainable coefficients, tanh is not
 * scaled (the paper's 1.7159·tanh(2x/3)) and the output is a linear layer instead of the RBF units.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as nn from '../nn/index.js';
import { checkOptions, type ClassifierOptions } from './common.js';

export type LeNetOptions = ClassifierOptions;

const LENET_OPTIONS = ['numClasses', 'inChannels'] as const;

/** LeNet-5 network: `features` (conv/pool stack) then `classifier` (fully connected layers). */
export class LeNet5 extends nn.Module {
  features: nn.Sequential;
  classifier: nn.Sequential;

  constructor(features: nn.Sequential, classifier: nn.Sequential) {
    super();
    this.features = features;
    this.classifier = classifier;
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.features.forward(x).flatten(1));
  }
}

/** Modern LeNet-5 for 28×28 inputs: ReLU and max pooling (keys features.0/3, classifier.0/2/4). */
export function lenet5(options: LeNetOptions = {}): LeNet5 {
  checkOptions('lenet5', options, LENET_OPTIONS);
  const numClasses = options.numClasses ?? 10;
  const inChannels = options.inChannels ?? 1;
  return new LeNet5(
    new nn.Sequential(
      new nn.Conv2d(inChannels, 6, 5, { padding: 2 }), new nn.ReLU(), new nn.MaxPool2d(2),
      new nn.Conv2d(6, 16, 5), new nn.ReLU(), new nn.MaxPool2d(2),
    ),
    new nn.Sequential(
      new nn.Linear(16 * 5 * 5, 120), new nn.ReLU(),
      new nn.Linear(120, 84), new nn.ReLU(),
      new nn.Linear(84, numClasses),
    ),
  );
}

/** LeNet-5 as in the 1998 paper for 32×32 inputs: tanh, average pooling, C5 as a convolution. */
export function lenet5_classic(options: LeNetOptions = {}): LeNet5 {
  checkOptions('lenet5_classic', options, LENET_OPTIONS);
  const numClasses = options.numClasses ?? 10;
  const inChannels = options.inChannels ?? 1;
  return new LeNet5(
    new nn.Sequential(
      new nn.Conv2d(inChannels, 6, 5), new nn.Tanh(), new nn.AvgPool2d(2), // C1, S2
      new nn.Conv2d(6, 16, 5), new nn.Tanh(), new nn.AvgPool2d(2), // C3, S4
      new nn.Conv2d(16, 120, 5), new nn.Tanh(), // C5
    ),
    new nn.Sequential(new nn.Linear(120, 84), new nn.Tanh(), new nn.Linear(84, numClasses)), // F6, output
  );
}
