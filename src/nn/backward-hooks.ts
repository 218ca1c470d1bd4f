/**
 * Module full backward hooks (PyTorch's register_full_backward_hook): `hook(module, gradInput,
 * gradOutput)` runs once the gradients with respect to the module's positional tensor inputs are
 * computed, and may return replacements for gradInput.
 *
 * As in PyTorch, the module's tensor inputs and its outputs each pass through one identity node
 * (BackwardHookFunctionBackward): the output node collects gradOutput, the input node, which the
 * engine reaches only after every gradient of the module's outputs has arrived, calls the hooks. The
 * engine runs one output per node, so several tensors pass through one node joined: flattened and
 * concatenated, then cut back into views.
 */
import { Tensor } from '../tensor/tensor.js';
import { record } from '../autograd/node.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { cat } from '../ops/join.js';
import { zerosLike } from '../tensor/creation.js';

/** Called with the module, the gradients w.r.t. its positional inputs (null for non-tensors or where none), and w.r.t. its outputs. */
export type FullBackwardHook<M = unknown> = (module: M, gradInput: (Tensor | null)[], gradOutput: (Tensor | null)[]) => (Tensor | null)[] | void | null;

const NODE = 'BackwardHookFunctionBackward';

/**
 * `tensors` passed through one identity node: the returned tensors equal them and carry their
 * gradients, which `onGrads` sees together (null for a tensor whose result got no gradient) and may replace.
 */
function throughOneNode(tensors: Tensor[], onGrads: (grads: (Tensor | null)[]) => (Tensor | null)[]): Tensor[] {
  if (tensors.length === 1) {
    const [t] = tensors;
    const same = new Tensor(t.storage, t.shape, t.strides, t.offset, t.dtype);
    return [record(same, NODE, [t], (g) => onGrads([g]))];
  }
  const sizes = tensors.map((t) => t.size);
  const joined = cat(tensors.map((t) => t.reshape([-1])), 0);
  const received = new Set<number>();
  const through = record(new Tensor(joined.storage, joined.shape, joined.strides, joined.offset, joined.dtype), NODE, [joined], (g) => {
    let offset = 0;
    const grads = sizes.map((n, i) => {
      const part = received.has(i) ? g.narrow(0, offset, n).reshape(tensors[i].shape) : null;
      offset += n;
      return part;
    });
    const replaced = onGrads(grads);
    return [cat(replaced.map((r, i) => (r ?? zerosLike(tensors[i])).reshape([-1])), 0)];
  });
  let offset = 0;
  return tensors.map((t, i) => {
    const part = through.narrow(0, offset, sizes[i]).reshape(t.shape);
    offset += sizes[i];
    part.registerHook(() => void received.add(i));
    return part;
  });
}

/** The tensors of a forward's result that need gradients, with a way to rebuild the result around replacements. */
function outputTensors(output: unknown): { tensors: Tensor[]; rebuild: (ts: Tensor[]) => unknown } {
  const wants = (v: unknown): v is Tensor => v instanceof Tensor && v.requiresGrad;
  if (wants(output)) return { tensors: [output], rebuild: (ts) => ts[0] };
  if (Array.isArray(output)) {
    const at = output.flatMap((v, i) => (wants(v) ? [i] : []));
    return { tensors: at.map((i) => output[i]), rebuild: (ts) => output.map((v, i) => (at.includes(i) ? ts[at.indexOf(i)] : v)) };
  }
  if (output !== null && typeof output === 'object' && Object.getPrototypeOf(output) === Object.prototype) {
    const entries = Object.entries(output);
    const keys = entries.filter(([, v]) => wants(v)).map(([k]) => k);
    const record_ = output as Record<string, unknown>;
    return { tensors: keys.map((k) => record_[k] as Tensor), rebuild: (ts) => ({ ...record_, ...Object.fromEntries(keys.map((k, i) => [k, ts[i]])) }) };
  }
  return { tensors: [], rebuild: () => output };
}

/** Run `forward(args)` of `module` with its full backward hooks attached to the inputs and outputs. */
export function forwardWithBackwardHooks<M>(module: M, hooks: readonly FullBackwardHook<M>[], args: unknown[], forward: (args: unknown[]) => unknown): unknown {
  if (!isGradEnabled() || hooks.length === 0) return forward(args);
  const hookList = [...hooks];
  let gradOutput: (Tensor | null)[] = [];
  const inputAt = args.flatMap((a, i) => (a instanceof Tensor && a.requiresGrad ? [i] : []));
  const runHooks = (gradInput: (Tensor | null)[]): (Tensor | null)[] => {
    let current = gradInput;
    for (const hook of hookList) {
      const r = hook(module, current, gradOutput);
      if (r === undefined || r === null) continue;
      if (!Array.isArray(r) || r.length !== current.length) {
        throw new Error(`backward hook: expected ${current.length} gradients (one per positional input), got ${Array.isArray(r) ? r.length : typeof r}`);
      }
      current = r;
    }
    return current;
  };
  let hookedArgs = args;
  if (inputAt.length > 0) {
    const through = throughOneNode(inputAt.map((i) => args[i] as Tensor), (grads) => {
      const gradInput: (Tensor | null)[] = args.map(() => null);
      inputAt.forEach((a, j) => (gradInput[a] = grads[j]));
      const replaced = runHooks(gradInput);
      return inputAt.map((a) => replaced[a]);
    });
    hookedArgs = args.map((a, i) => (inputAt.includes(i) ? through[inputAt.indexOf(i)] : a));
  }
  const output = forward(hookedArgs);
  const { tensors, rebuild } = outputTensors(output);
  if (tensors.length === 0) return output;
  return rebuild(
    throughOneNode(tensors, (grads) => {
      gradOutput = grads;
      if (inputAt.length === 0) {
        // No input needs a gradient: PyTorch calls the hooks here, with gradInput all null.
        const replaced = runHooks(args.map(() => null));
        if (replaced.some((g) => g !== null)) {
          throw new Error('backward hook: a module none of whose inputs requires grad must return null gradients for its inputs');
        }
      }
      return grads;
    }),
  );
}
