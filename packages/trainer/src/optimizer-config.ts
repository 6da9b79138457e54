import { TrainOptionsError } from './errors.js';

// The optimizers `train` offers: their names, hyper-parameters, defaults and checks. A new optimizer starts here, then
// gets its update rule (update-rules.ts) and, in cnn-model's kernel library, the rule's compiled loop.

/** Optimizer names accepted by `train`; `momentum` is SGD with momentum 0.9. */
export type OptimizerName = 'adam' | 'sgd' | 'momentum' | 'rmsprop';

/** An optimizer and its hyper-parameters; the learning rate comes from the run's `learningRate` and schedule. */
export type OptimizerConfig =
  | { name: 'adam'; beta1?: number; beta2?: number; epsilon?: number }
  /** Plain SGD when `momentum` is 0 (the default); heavy-ball or Nesterov momentum otherwise. */
  | { name: 'sgd'; momentum?: number; nesterov?: boolean }
  | { name: 'rmsprop'; decay?: number; momentum?: number; epsilon?: number; centered?: boolean };

/** The full optimizer configuration with defaults filled in; stored in checkpoints. */
export type ResolvedOptimizerConfig =
  | { name: 'adam'; beta1: number; beta2: number; epsilon: number }
  | { name: 'sgd'; momentum: number; nesterov: boolean }
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

const optimizerNames: readonly OptimizerName[] = ['adam', 'sgd', 'momentum', 'rmsprop'];

function inRange(option: string, value: number, low: number, high: number, includeLow = true): number {
  if (!Number.isFinite(value) || value > high || value < low || (!includeLow && value === low)) {
    throw new TrainOptionsError(option, `expected a number in ${includeLow ? '[' : '('}${low}, ${high}], got ${value}`);
  }
  return value;
}

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
  switch (config?.name) {
    case 'adam':
      return {
        name: 'adam',
        beta1: inRange('optimizer.beta1', config.beta1 ?? 0.9, 0, 0.9999999),
        beta2: inRange('optimizer.beta2', config.beta2 ?? 0.999, 0, 0.9999999),
        epsilon: inRange('optimizer.epsilon', config.epsilon ?? 1e-7, 0, 1, false),
      };
    case 'sgd':
      return {
        name: 'sgd',
        momentum: inRange('optimizer.momentum', config.momentum ?? 0, 0, 0.9999999),
        nesterov: Boolean(config.nesterov),
      };
    case 'rmsprop':
      return {
        name: 'rmsprop',
        decay: inRange('optimizer.decay', config.decay ?? 0.9, 0, 0.9999999),
        momentum: inRange('optimizer.momentum', config.momentum ?? 0, 0, 0.9999999),
        epsilon: inRange('optimizer.epsilon', config.epsilon ?? 1e-7, 0, 1, false),
        centered: Boolean(config.centered),
      };
    default: {
      const shown = typeof optimizer === 'string' ? optimizer : JSON.stringify(optimizer);
      throw new TrainOptionsError(
        'optimizer',
        `unknown optimizer ${shown}; expected one of ${optimizerNames.join(', ')}`,
      );
    }
  }
}

/** Throws unless `state` was saved by an optimizer with this configuration. */
export function checkStateConfig(state: OptimizerState, config: ResolvedOptimizerConfig): void {
  if (JSON.stringify(state.config) !== JSON.stringify(config)) {
    throw new TrainOptionsError(
      'optimizer',
      `the checkpoint was trained with ${JSON.stringify(state.config)}, not ${JSON.stringify(config)}`,
    );
  }
}
