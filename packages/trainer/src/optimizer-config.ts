import { checkNumber, type NumberCheck, numberIn, TrainOptionsError } from './errors.js';

// The optimizers `train` offers: their names, hyper-parameters, defaults and checks. A new optimizer starts here, then
// gets its update rule (optimizer.ts) and, in cnn-model's kernel library, the rule's compiled loop.

/** Optimizer names accepted by `train`; `momentum` is SGD with momentum 0.9; `adamw` is Adam with weight decay 0.01. */
export type OptimizerName = 'adam' | 'adamw' | 'sgd' | 'momentum' | 'rmsprop';

/** An optimizer and its hyper-parameters; the learning rate comes from the run's `learningRate` and schedule. */
export type OptimizerConfig =
  | { name: 'adam'; beta1?: number; beta2?: number; epsilon?: number }
  /**
   * Adam with decoupled weight decay (Loshchilov & Hutter): each step first shrinks the weights by
   * learningRate × `weightDecay` (default 0.01, as in PyTorch), then takes Adam's step.
   */
  | { name: 'adamw'; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number }
  /**
   * Plain SGD when `momentum` is 0 (the default); heavy-ball or Nesterov momentum otherwise. `weightDecay` (default 0)
   * adds weightDecay × weight to each gradient (L2 regularization, as PyTorch's SGD does).
   */
  | { name: 'sgd'; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | { name: 'rmsprop'; decay?: number; momentum?: number; epsilon?: number; centered?: boolean };

/** The full optimizer configuration with defaults filled in; stored in checkpoints. */
export type ResolvedOptimizerConfig =
  | { name: 'adam'; beta1: number; beta2: number; epsilon: number }
  | { name: 'adamw'; beta1: number; beta2: number; epsilon: number; weightDecay: number }
  /** `weightDecay` appears only when above 0, so configurations saved before it existed still match. */
  | { name: 'sgd'; momentum: number; nesterov: boolean; weightDecay?: number }
  | { name: 'rmsprop'; decay: number; momentum: number; epsilon: number; centered: boolean };

/** An optimizer's saved state: its step count and slot tensors in a fixed order, with Adam's bias accumulators. */
export interface OptimizerState {
  config: ResolvedOptimizerConfig;
  iterations: number;
  /** Slot values in tfjs `getWeights` order (after the iteration counter); `shape` is informational. */
  slots: { shape: number[]; values: Float32Array }[];
  /** Adam's running beta powers, saved exactly because recomputing them with pow() rounds differently. */
  adamBetaPowers?: [number, number];
}

// Rates kept below 1: at 1 Adam's bias correction divides by zero and momentum never decays.
const belowOne = numberIn(0, 0.9999999);
const positiveUpToOne = numberIn(0, 1, 'min');
const upToOne = numberIn(0, 1);

/** Each optimizer's hyper-parameters in the order checkpoints store them: a number's default and check, or a flag. */
const hyperParameters: Record<ResolvedOptimizerConfig['name'], Record<string, [number, NumberCheck] | 'flag'>> = {
  adam: { beta1: [0.9, belowOne], beta2: [0.999, belowOne], epsilon: [1e-7, positiveUpToOne] },
  adamw: {
    beta1: [0.9, belowOne],
    beta2: [0.999, belowOne],
    epsilon: [1e-7, positiveUpToOne],
    weightDecay: [0.01, upToOne],
  },
  sgd: { momentum: [0, belowOne], nesterov: 'flag', weightDecay: [0, upToOne] },
  rmsprop: { decay: [0.9, belowOne], momentum: [0, belowOne], epsilon: [1e-7, positiveUpToOne], centered: 'flag' },
};

/** Fills in defaults and validates hyper-parameters; throws TrainOptionsError for unknown names or bad values. */
export function resolveOptimizer(optimizer: OptimizerName | OptimizerConfig | undefined): ResolvedOptimizerConfig {
  const config: OptimizerConfig =
    optimizer === undefined
      ? { name: 'adam' }
      : typeof optimizer === 'string'
        ? optimizer === 'momentum'
          ? { name: 'sgd', momentum: 0.9 }
          : ({ name: optimizer } as OptimizerConfig)
        : optimizer;
  if (!Object.hasOwn(hyperParameters, config?.name)) {
    const shown = typeof optimizer === 'string' ? optimizer : JSON.stringify(optimizer);
    throw new TrainOptionsError(
      'optimizer',
      `unknown optimizer ${shown}; expected one of adam, adamw, sgd, momentum, rmsprop`,
    );
  }
  const given = config as Record<string, unknown>;
  const resolved: Record<string, unknown> = { name: config.name };
  for (const [key, field] of Object.entries(hyperParameters[config.name])) {
    resolved[key] =
      field === 'flag' ? Boolean(given[key]) : checkNumber(`optimizer.${key}`, given[key] ?? field[0], field[1]);
  }
  // Kept out when 0, as ResolvedOptimizerConfig says.
  if (resolved.weightDecay === 0 && config.name === 'sgd') delete resolved.weightDecay;
  return resolved as ResolvedOptimizerConfig;
}
