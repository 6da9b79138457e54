/** Stable error codes. They never change once released; match on `code`, not on the message. */
export type TrainerErrorCode =
  | 'TRAIN_INVALID_OPTION'
  | 'TRAIN_DATA_MISMATCH'
  | 'TRAIN_NON_FINITE_LOSS'
  | 'TRAIN_NON_FINITE_STATE'
  | 'BACKEND_UNAVAILABLE'
  | 'CHECKPOINT_CORRUPT'
  | 'CHECKPOINT_MISMATCH'
  | 'TRAIN_WORKER_FAILED'
  | 'TRAIN_POOL_CLOSED';

/** Base class of every error this package throws on purpose. */
export class TrainerError extends Error {
  readonly code: TrainerErrorCode;

  constructor(code: TrainerErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
  }
}

/** An option of `train`, `evaluate` or `initBackend` has a value the trainer cannot use. Thrown before any work. */
export class TrainOptionsError extends TrainerError {
  /** The option's name as written in the options object, for example `batchSize`. */
  readonly option: string;

  constructor(option: string, problem: string) {
    super('TRAIN_INVALID_OPTION', `invalid option ${option}: ${problem}`);
    this.option = option;
  }
}

/** A numeric option's test, and what a value that passes looks like (for the message). */
export type NumberCheck = readonly [test: (value: number) => boolean, expected: string];

/** Integers from `min` to `max`, both included. */
export const integerIn = (min: number, max = Number.MAX_SAFE_INTEGER): NumberCheck => [
  (value) => Number.isSafeInteger(value) && value >= min && value <= max,
  max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`,
];

/** Finite numbers from `min` to `max`; `open` names the bounds that are excluded. */
export const numberIn = (min: number, max = Infinity, open: 'min' | 'max' | 'both' | 'none' = 'none'): NumberCheck => {
  const [minOpen, maxOpen] = [open === 'min' || open === 'both', open === 'max' || open === 'both'];
  return [
    (value) =>
      Number.isFinite(value) && (minOpen ? value > min : value >= min) && (maxOpen ? value < max : value <= max),
    max === Infinity
      ? `a number ${minOpen ? '>' : '>='} ${min}`
      : `a number in ${minOpen ? '(' : '['}${min}, ${max}${maxOpen ? ')' : ']'}`,
  ];
};

/** Returns `value` when it is a number that passes `check`; otherwise throws TrainOptionsError naming the option. */
export function checkNumber(option: string, value: unknown, [test, expected]: NumberCheck): number {
  if (typeof value !== 'number' || !test(value)) {
    throw new TrainOptionsError(option, `expected ${expected}, got ${String(value)}`);
  }
  return value;
}

/** The images do not fit the model (size or channel count), or labels fall outside the model's classes. */
export class DataMismatchError extends TrainerError {
  constructor(problem: string) {
    super('TRAIN_DATA_MISMATCH', problem);
  }
}

/** A batch produced a NaN or infinite loss; the run stops and the last good checkpoint is left untouched. */
export class NonFiniteLossError extends TrainerError {
  constructor(
    readonly epoch: number,
    readonly batch: number,
    readonly loss: number,
    hint: string,
  ) {
    super('TRAIN_NON_FINITE_LOSS', `loss became ${loss} at epoch ${epoch}, batch ${batch}; ${hint}`);
  }
}

/** A weight or optimizer slot became NaN or infinite; nothing is saved, so the last good files stay in place. */
export class NonFiniteStateError extends TrainerError {
  constructor(problem: string, kept: string | undefined) {
    super(
      'TRAIN_NON_FINITE_STATE',
      `training produced a non-finite value (${problem}); nothing was saved${kept ? `, the last good checkpoint is kept at ${kept}` : ''}; try a lower learningRate`,
    );
  }
}

/** The requested tfjs backend could not be initialized. */
export class BackendError extends TrainerError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('BACKEND_UNAVAILABLE', message, options);
  }
}

/** Checkpoint bytes are unreadable, or belong to a different model or run setup. */
export class CheckpointError extends TrainerError {
  /** Where the checkpoint came from (a path, or `memory`), when known. */
  readonly source: string | undefined;

  constructor(
    code: Extract<TrainerErrorCode, `CHECKPOINT_${string}`>,
    problem: string,
    options: { source?: string; cause?: unknown } = {},
  ) {
    super(code, `${options.source ? `${options.source}: ` : ''}${problem}`, options);
    this.source = options.source;
  }
}

/** A training or inference worker thread crashed, exited or could not start; every other worker of its pool is ended. */
export class WorkerError extends TrainerError {
  /** The worker's index in its pool (0 is the main thread, so a thread's is 1 or more). */
  readonly worker: number;
  /** What the worker did: a shard of every training step, or whole batches of an inference pool. */
  readonly kind: 'training' | 'inference';

  constructor(kind: WorkerError['kind'], worker: number, problem: string, options: { cause?: unknown } = {}) {
    super('TRAIN_WORKER_FAILED', `${kind} worker ${worker} failed: ${problem}`, options);
    this.kind = kind;
    this.worker = worker;
  }
}

/** An inference pool was used after `close()` (or closed while a call waited on its threads, which have ended). */
export class PoolClosedError extends TrainerError {
  constructor() {
    super('TRAIN_POOL_CLOSED', 'the inference pool is closed and its worker threads have ended; open another one');
  }
}
