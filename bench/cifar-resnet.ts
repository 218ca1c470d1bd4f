/** CIFAR ResNet-18 of kuangliu/pytorch-cifar, as bench/torch_resnet.py builds it (shared by the benchmark and profiling scripts). */
import * as st from '../src/index.js';

const { nn, F } = st;

export class BasicBlock extends nn.Module {
  conv1: st.nn.Conv2d;
  bn1: st.nn.BatchNorm2d;
  conv2: st.nn.Conv2d;
  bn2: st.nn.BatchNorm2d;
  shortcut: st.nn.Sequential | null;

  constructor(inPlanes: number, planes: number, stride: number) {
    super();
    this.conv1 = new nn.Conv2d(inPlanes, planes, 3, { stride, padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(planes);
    this.conv2 = new nn.Conv2d(planes, planes, 3, { padding: 1, bias: false });
    this.bn2 = new nn.BatchNorm2d(planes);
    this.shortcut =
      stride !== 1 || inPlanes !== planes
        ? new nn.Sequential(new nn.Conv2d(inPlanes, planes, 1, { stride, bias: false }), new nn.BatchNorm2d(planes))
        : null;
  }

  forward(x: st.Tensor): st.Tensor {
    const out = this.bn2.forward(this.conv2.forward(F.relu(this.bn1.forward(this.conv1.forward(x)))));
    return F.relu(out.add(this.shortcut ? this.shortcut.forward(x) : x));
  }
}

/** CIFAR ResNet-18 (kuangliu/pytorch-cifar), as bench/torch_resnet.py builds it. */
export class CifarResNet18 extends nn.Module {
  conv1: st.nn.Conv2d;
  bn1: st.nn.BatchNorm2d;
  layer1: st.nn.Sequential;
  layer2: st.nn.Sequential;
  layer3: st.nn.Sequential;
  layer4: st.nn.Sequential;
  pool: st.nn.AdaptiveAvgPool2d;
  linear: st.nn.Linear;

  constructor(numClasses = 10) {
    super();
    this.conv1 = new nn.Conv2d(3, 64, 3, { padding: 1, bias: false });
    this.bn1 = new nn.BatchNorm2d(64);
    const layer = (inPlanes: number, planes: number, stride: number) =>
      new nn.Sequential(new BasicBlock(inPlanes, planes, stride), new BasicBlock(planes, planes, 1));
    this.layer1 = layer(64, 64, 1);
    this.layer2 = layer(64, 128, 2);
    this.layer3 = layer(128, 256, 2);
    this.layer4 = layer(256, 512, 2);
    this.pool = new nn.AdaptiveAvgPool2d([1, 1]);
    this.linear = new nn.Linear(512, numClasses);
  }

  forward(x: st.Tensor): st.Tensor {
    let out = F.relu(this.bn1.forward(this.conv1.forward(x)));
    out = this.layer4.forward(this.layer3.forward(this.layer2.forward(this.layer1.forward(out))));
    return this.linear.forward(this.pool.forward(out).flatten(1));
  }
}

/** Forward FLOP per image (2 × multiply-adds of the convolutions and the linear layer). */
export function forwardFlopsPerImage(): number {
  let macs = 64 * 32 * 32 * 3 * 9;
  let inPlanes = 64;
  let hw = 32;
  for (const [planes, stride] of [[64, 1], [128, 2], [256, 2], [512, 2]]) {
    hw /= stride;
    macs += planes * hw * hw * inPlanes * 9 + 3 * planes * hw * hw * planes * 9; // four 3×3 convolutions
    if (stride !== 1 || inPlanes !== planes) macs += planes * hw * hw * inPlanes; // 1×1 shortcut
    inPlanes = planes;
  }
  return 2 * (macs + 512 * 10);
}
