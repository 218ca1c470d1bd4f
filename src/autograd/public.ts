/** st.autograd: torch.autograd's functional entry points. */
export { grad } from './backward.js';
export type { GradOptions } from './backward.js';
export { gradcheck, gradgradcheck } from './gradcheck.js';
export type { GradcheckOptions } from './gradcheck.js';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from './grad-mode.js';
