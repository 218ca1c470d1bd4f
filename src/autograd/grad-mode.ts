/** Global switch for recording operations on the autograd tape. */
let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

export function setGradEnabled(on: boolean): void {
  enabled = on;
}

/** Run `fn` without recording gradients; returns what `fn` returns (as torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  const previous = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}

/** Run `fn` with gradient recording on, even inside noGrad (as torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  const previous = enabled;
  enabled = true;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}
