/**
 * AlexNet (Krizhevsky et al. 2012) in torchvision's single-stream form ("One weird trick", 2014):
 * 64-192-384-256-256 channels. Keys: features.0/3/6/8/10, classifier.1/4/6.
 */
import type { Tensor } from '../tensor/tensor.js';
import * as nn from '../nn/index.js';
import { checkOptions, checkRate, type ClassifierOptions } from './common.js';

export interface AlexNetOptions extends ClassifierOptions {
  /** Dropout probability of the classifier (default 0.5). */
  dropout?: number;
}

export const ALEXNET_OPTIONS = ['numClasses', 'inChannels', 'dropout'] as const;

export class AlexNet extends nn.Module {
  features: nn.Sequential;
  avgpool: nn.AdaptiveAvgPool2d;
  classifier: nn.Sequential;

  constructor(options: AlexNetOptions = {}) {
    super();
    const numClasses = options.numClasses ?? 1000;
    const dropout = checkRate('alexnet', 'dropout', options.dropout ?? 0.5);
    this.features = new nn.Sequential(
      new nn.Conv2d(options.inChannels ?? 3, 64, 11, { stride: 4, padding: 2 }), new nn.ReLU({ inplace: true }), new nn.MaxPool2d(3, { stride: 2 }),
      new nn.Conv2d(64, 192, 5, { padding: 2 }), new nn.ReLU({ inplace: true }), new nn.MaxPool2d(3, { stride: 2 }),
      new nn.Conv2d(192, 384, 3, { padding: 1 }), new nn.ReLU({ inplace: true }),
      new nn.Conv2d(384, 256, 3, { padding: 1 }), new nn.ReLU({ inplace: true }),
      new nn.Conv2d(256, 256, 3, { padding: 1 }), new nn.ReLU({ inplace: true }), new nn.MaxPool2d(3, { stride: 2 }),
    );
    this.avgpool = new nn.AdaptiveAvgPool2d([6, 6]);
    this.classifier = new nn.Sequential(
      new nn.Dropout(dropout), new nn.Linear(256 * 6 * 6, 4096), new nn.ReLU({ inplace: true }),
      new nn.Dropout(dropout), new nn.Linear(4096, 4096), new nn.ReLU({ inplace: true }),
      new nn.Linear(4096, numClasses),
    );
  }

  forward(x: Tensor): Tensor {
    return this.classifier.forward(this.avgpool.forward(this.features.forward(x)).flatten(1));
  }
}

/** AlexNet (61.1M parameters, 0.71 GMACs at 224×224). */
export function alexnet(options: AlexNetOptions = {}): AlexNet {
  checkOptions('alexnet', options, ALEXNET_OPTIONS);
  return new AlexNet(options);
}
