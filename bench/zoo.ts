/**
 * `npm run bench -- zoo`: ImageNet-size inference of model-zoo networks (random weights, eval mode,
 * noGrad, 224×224, batch 4 by default) at 1 and 2 threads, against torchvision's same models in PyTorch.
 * Strata runs `--warmup` forward passes first: its output arrays are recycled once the garbage collector
 * has returned them, so the first passes also pay for fresh memory (page faults), as PyTorch's first do.
 *
 *   npm run bench -- zoo [--models resnet50,efficientnet_b0,mobilenet_v2] [--batch 4] [--threads 1,2]
 *                        [--warmup 4] [--iters 7] [--peers torch|none]
 */
import * as st from '../src/index.js';
import { runPython, torchVersion } from './peers.js';
import { arg, cpuDescription, grid, median, numberList, ratio } from './util.js';

const models = (arg('models') ?? 'resnet50,efficientnet_b0,mobilenet_v2').split(',');
const batch = Number(arg('batch') ?? 4);
const threads = numberList('threads', [1, 2]);
const warmup = Number(arg('warmup') ?? 4);
const iters = Number(arg('iters') ?? 7);
const peers = (arg('peers') ?? 'torch').split(',');

console.log(`Model-zoo inference, float32, eval mode, batch ${batch} at 224×224 (random weights)`);
console.log(`CPU: ${cpuDescription()}`);
console.log(`Strata backend: ${st.getBackend()}; ${warmup} warm-up passes, median of ${iters}\n`);

const strata = new Map<string, number>();
const x = st.randn([batch, 3, 224, 224]);
for (const name of models) {
  const model = st.models.create(name);
  model.eval();
  for (const t of threads) {
    st.setNumThreads(t);
    const times: number[] = [];
    for (let i = 0; i < warmup + iters; i++) {
      const t0 = performance.now();
      st.noGrad(() => model.forward(x).data);
      if (i >= warmup) times.push((performance.now() - t0) / 1000);
    }
    strata.set(`${name}/${t}`, batch / median(times));
  }
}

interface TorchResult { torch: string; results: Record<string, Record<string, { median: number; best: number }>> }
let torch: TorchResult | string = 'not requested (--peers)';
if (peers.includes('torch')) {
  torch = runPython<TorchResult>('torch_zoo.py', [JSON.stringify({ models, batch, threads, warmup, iters })]);
}
const header = ['model', 'thr', 'Strata img/s', 'PyTorch img/s', 'S/PyTorch'];
const rows: string[][] = [];
for (const name of models) {
  for (const t of threads) {
    const s = strata.get(`${name}/${t}`)!;
    const p = typeof torch === 'string' ? undefined : batch / torch.results[name][String(t)].median;
    rows.push([name, String(t), s.toFixed(1), p === undefined ? '' : p.toFixed(1), ratio(s, p)]);
  }
}
console.log(grid(header, rows));
console.log(typeof torch === 'string' ? `PyTorch: ${torch}` : `peer: PyTorch ${torchVersion()} with torchvision (OPENBLAS_NUM_THREADS=1, torch.set_num_threads)`);
process.exit(0);
