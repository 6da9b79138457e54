import type { ModelSpec, RngState } from '@mnist-cnn/cnn-model';
import { CheckpointError } from './errors.js';
import type { OptimizerState, ResolvedOptimizerConfig } from './optimizer-config.js';

/** Why a checkpoint was written: at the end of an epoch, or because the run's AbortSignal fired. */
export type CheckpointReason = 'epoch' | 'abort';

/** Loss and accuracy of one finished epoch, as reported by the `epoch` event. */
export interface EpochSummary {
  epoch: number;
  loss: number;
  accuracy: number;
  valLoss?: number;
  valAccuracy?: number;
  learningRate: number;
  durationMs: number;
  imagesPerSecond: number;
}

/** The settings that must match for a resumed run to continue the same run. */
export interface RunFingerprint {
  seed: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  schedule: unknown;
  optimizer: ResolvedOptimizerConfig;
  augment: unknown;
  validationSplit: number;
  trainCount: number;
  validationCount: number;
}

/** Where a run stands: the epoch in progress (1-based) and how much of it is done, with its running sums. */
export interface TrainingProgress {
  epoch: number;
  /** Batches of `epoch` already applied. 0 with `epoch` = last + 1 after a clean epoch end. */
  batch: number;
  /** Optimizer steps taken since the run began. */
  step: number;
  lossSum: number;
  correct: number;
  seen: number;
  elapsedMs: number;
  /** State of the shuffling generator when `epoch` began; replaying it rebuilds that epoch's order. */
  shuffleRng: RngState;
}

/** Early stopping's memory: the best monitored value so far and how many epochs passed without beating it. */
export interface EarlyStoppingState {
  best: number | null;
  bestEpoch: number;
  epochsWithoutImprovement: number;
}

/** Which data a run trained on: a label from the caller and the SHA-256 of the training images and labels read. */
export interface DatasetFingerprint {
  /** For example `mnist`. */
  name: string;
  /** Where it was read from, for messages (a path, a package). */
  source: string;
  imagesSha256: string;
  labelsSha256: string;
}

/** Everything needed to continue a run exactly: model, optimizer, position, RNG state and history. */
export interface Checkpoint {
  reason: CheckpointReason;
  /** The architecture and every weight (trainable and moving statistics), keyed as `CnnModel.getWeights` keys them. */
  model: { spec: ModelSpec; weights: Record<string, Float32Array> };
  optimizer: OptimizerState;
  progress: TrainingProgress;
  history: EpochSummary[];
  earlyStopping: EarlyStoppingState;
  /** Every weight as it was after the best epoch so far; kept while early stopping is on, for `restoreBestWeights`. */
  bestWeights?: Record<string, Float32Array>;
  run: RunFingerprint;
  /** The training data; absent in checkpoints written before it was recorded. */
  dataset?: DatasetFingerprint;
  backend: string;
  createdAt: string;
}

const magic = 'MNISTCKP';
const formatVersion = 1;

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    crc ^= bytes[i]!;
    for (let bit = 0; bit < 8; bit++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const align4 = (n: number) => (n + 3) & ~3;

type NamedLayout = { name: string; length: number }[];
const layoutOf = (weights: Record<string, Float32Array>): NamedLayout =>
  Object.entries(weights).map(([name, values]) => ({ name, length: values.length }));

type Section = [label: string, values: Float32Array];
const labelled = (prefix: string, weights: Record<string, Float32Array>): Section[] =>
  Object.entries(weights).map(([name, values]) => [`${prefix} ${name}`, values]);

/** A checkpoint's float32 sections in file order, each labelled as a message about a non-finite value names it. */
function sectionsOf(checkpoint: Pick<Checkpoint, 'model' | 'optimizer' | 'bestWeights'>): Section[] {
  return [
    ...labelled('weight', checkpoint.model.weights),
    ...checkpoint.optimizer.slots.map((slot, index): Section => [`optimizer slot ${index}`, slot.values]),
    ...labelled('best weight', checkpoint.bestWeights ?? {}),
  ];
}

/**
 * Encodes a checkpoint as one self-contained byte array: an 8-byte magic, version, header length, a JSON header,
 * then the model weights and optimizer slots as 4-byte-aligned float32 sections, then a CRC-32 of everything before.
 */
export function encodeCheckpoint(checkpoint: Checkpoint): Uint8Array {
  const { model, optimizer, bestWeights, ...rest } = checkpoint;
  const sections = sectionsOf(checkpoint).map(([, values]) => values);
  const header = {
    ...rest,
    model: { spec: model.spec, weights: layoutOf(model.weights) },
    optimizer: { ...optimizer, slots: optimizer.slots.map((slot) => ({ shape: slot.shape })) },
    // After the optimizer's sections, so that readers that predate it still find everything else where it was.
    ...(bestWeights ? { bestWeights: layoutOf(bestWeights) } : {}),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const bodyStart = align4(16 + headerBytes.length);
  const total = bodyStart + sections.reduce((sum, section) => sum + section.byteLength, 0) + 4;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes.set(new TextEncoder().encode(magic), 0);
  view.setUint32(8, formatVersion, true);
  view.setUint32(12, headerBytes.length, true);
  bytes.set(headerBytes, 16);
  let offset = bodyStart;
  for (const section of sections) {
    bytes.set(new Uint8Array(section.buffer, section.byteOffset, section.byteLength), offset);
    offset += section.byteLength;
  }
  view.setUint32(total - 4, crc32(bytes.subarray(0, total - 4)), true);
  return bytes;
}

/** Decodes bytes written by `encodeCheckpoint`; throws CheckpointError when they are truncated, corrupt or foreign. */
export function decodeCheckpoint(bytes: Uint8Array, source?: string): Checkpoint {
  const fail = (problem: string): never => {
    throw new CheckpointError('CHECKPOINT_CORRUPT', `not a readable trainer checkpoint: ${problem}`, { source });
  };
  if (bytes.length < 20 || new TextDecoder().decode(bytes.subarray(0, 8)) !== magic) {
    fail(`expected the ${magic} signature`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== formatVersion) fail(`format version ${version} is not supported (expected ${formatVersion})`);
  if (view.getUint32(bytes.length - 4, true) !== crc32(bytes.subarray(0, bytes.length - 4))) {
    fail('checksum mismatch (the file is truncated or damaged)');
  }
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > bytes.length - 4) fail(`the header length ${headerLength} runs past the end`);
  let header: Omit<Checkpoint, 'model' | 'optimizer' | 'bestWeights'> & {
    model: { spec: ModelSpec; weights: NamedLayout };
    optimizer: Omit<OptimizerState, 'slots'> & { slots: { shape: number[] }[] };
    bestWeights?: NamedLayout;
  };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)));
  } catch (error) {
    return fail(`header is not JSON (${(error as Error).message})`);
  }
  const weightLayout = sectionLayout(header?.model?.weights, 'model weights');
  const slotShapes: unknown = header?.optimizer?.slots;
  if (
    !Array.isArray(slotShapes) ||
    !slotShapes.every((slot) => Array.isArray(slot?.shape) && slot.shape.every(isCount))
  ) {
    fail('the optimizer slots are not a list of shapes');
  }
  const slotLengths = header.optimizer.slots.map(({ shape }) => shape.reduce((p, d) => p * d, 1));
  const bestLayout = header.bestWeights === undefined ? [] : sectionLayout(header.bestWeights, 'best weights');
  const floats = [...weightLayout, ...bestLayout].reduce((sum, s) => sum + s.length, 0);
  const bodyStart = align4(16 + headerLength);
  // Every section's size is known from the header: the file must be exactly that long before anything is allocated.
  const expectedLength = bodyStart + (floats + slotLengths.reduce((a, b) => a + b, 0)) * 4 + 4;
  if (expectedLength !== bytes.length)
    fail(`the header describes ${expectedLength} bytes, the file has ${bytes.length}`);
  let offset = bodyStart;
  const take = (length: number): Float32Array => {
    const section = new Float32Array(bytes.slice(offset, offset + length * 4).buffer);
    offset += length * 4;
    return section;
  };
  const takeNamed = (layout: NamedLayout) => Object.fromEntries(layout.map(({ name, length }) => [name, take(length)]));
  const { bestWeights: _layout, ...fields } = header;
  const checkpoint: Checkpoint = {
    ...fields,
    model: { spec: header.model.spec, weights: takeNamed(weightLayout) },
    optimizer: {
      ...header.optimizer,
      slots: header.optimizer.slots.map(({ shape }, i) => ({ shape, values: take(slotLengths[i]!) })),
    },
    ...(header.bestWeights === undefined ? {} : { bestWeights: takeNamed(bestLayout) }),
  };
  const problem = checkpointFieldProblem(checkpoint);
  if (problem !== undefined) fail(problem);
  return checkpoint;

  function sectionLayout(layout: unknown, what: string): NamedLayout {
    const ok = Array.isArray(layout) && layout.every((s) => typeof s?.name === 'string' && isCount(s.length));
    return ok ? (layout as NamedLayout) : fail(`the ${what} are not a list of named sections`);
  }
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The first problem with a decoded checkpoint's fields, or undefined when every field is in range. */
export function checkpointFieldProblem(checkpoint: Checkpoint): string | undefined {
  const { run, progress, optimizer, history, earlyStopping } = checkpoint;
  if (!isObject(run) || !isCount(run.epochs) || run.epochs < 1) return 'run.epochs is not a positive count';
  if (!isObject(progress)) return 'progress is missing';
  if (!isCount(progress.epoch) || progress.epoch < 1 || progress.epoch > run.epochs + 1) {
    return `progress.epoch ${JSON.stringify(progress.epoch)} is outside 1…${run.epochs + 1}`;
  }
  for (const key of ['batch', 'step', 'correct', 'seen'] as const) {
    if (!isCount(progress[key])) return `progress.${key} ${JSON.stringify(progress[key])} is not a count`;
  }
  if (progress.correct > progress.seen) return 'progress.correct exceeds progress.seen';
  if (!isFiniteNumber(progress.lossSum) || progress.lossSum < 0) return 'progress.lossSum is not a finite sum';
  if (!isFiniteNumber(progress.elapsedMs) || progress.elapsedMs < 0) return 'progress.elapsedMs is not a duration';
  if (!Array.isArray(progress.shuffleRng) || progress.shuffleRng.length !== 4 || !progress.shuffleRng.every(isCount)) {
    return 'progress.shuffleRng is not a generator state';
  }
  if (!isObject(optimizer) || !isCount(optimizer.iterations)) return 'optimizer.iterations is not a count';
  if (JSON.stringify(optimizer.config) !== JSON.stringify(run.optimizer)) {
    return 'the optimizer state belongs to another optimizer configuration than the run';
  }
  if (optimizer.adamBetaPowers !== undefined) {
    const powers = optimizer.adamBetaPowers;
    if (!Array.isArray(powers) || powers.length !== 2 || !powers.every((p) => isFiniteNumber(p) && p > 0 && p <= 1)) {
      return 'optimizer.adamBetaPowers are not two numbers in (0, 1]';
    }
  }
  if (!Array.isArray(history)) return 'history is not a list';
  if (!isObject(earlyStopping) || !isCount(earlyStopping.epochsWithoutImprovement)) {
    return 'earlyStopping is not an early-stopping state';
  }
  return nonFiniteProblem(checkpoint);
}

/** Names the first weight or optimizer slot holding NaN or ±Infinity, or undefined when all are finite. */
export function nonFiniteProblem(
  checkpoint: Pick<Checkpoint, 'model' | 'optimizer' | 'bestWeights'>,
): string | undefined {
  for (const [name, values] of sectionsOf(checkpoint)) {
    const index = values.findIndex((value) => !Number.isFinite(value));
    if (index >= 0) return `${name} holds ${values[index]} at index ${index}`;
  }
  return undefined;
}

/** Where checkpoints go. The Node entry stores them in a directory; `memoryCheckpointStore` keeps them in memory. */
export interface CheckpointStore {
  /** Saves encoded checkpoint bytes, replacing the previous checkpoint only once the new one is complete. */
  save(bytes: Uint8Array, reason: CheckpointReason): Promise<{ path?: string }>;
  /** Returns the latest checkpoint's bytes, or undefined when there is none. */
  load(): Promise<Uint8Array | undefined>;
  /** A human-readable location for messages (a path, or `memory`). */
  readonly location: string;
}

/** A store that keeps the latest checkpoint's bytes in memory (browsers can persist `latest` to IndexedDB). */
export function memoryCheckpointStore(initial?: Uint8Array): CheckpointStore & { latest: Uint8Array | undefined } {
  const store = {
    latest: initial,
    location: 'memory',
    async save(bytes: Uint8Array) {
      store.latest = bytes.slice();
      return {};
    },
    async load() {
      return store.latest?.slice();
    },
  };
  return store;
}
