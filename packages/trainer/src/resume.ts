import type { ModelSpec } from '@mnist-cnn/cnn-model';
import type { DatasetSplit } from '@mnist-cnn/mnist-data';
import type { Checkpoint, CheckpointStore, DatasetFingerprint, RunFingerprint } from './checkpoint.js';
import { decodeCheckpoint } from './checkpoint.js';
import { CheckpointError } from './errors.js';
import type { ResolvedTrainOptions } from './options.js';

/** Reads the checkpoint a run should resume from, or undefined to start fresh. */
export async function readResumeCheckpoint(
  resume: boolean | Checkpoint | Uint8Array | undefined,
  store: CheckpointStore | undefined,
): Promise<Checkpoint | undefined> {
  if (resume === undefined || resume === false) return undefined;
  if (resume instanceof Uint8Array) return decodeCheckpoint(resume);
  if (resume !== true) return resume;
  const bytes = await store?.load();
  return bytes === undefined ? undefined : decodeCheckpoint(bytes, store?.location);
}

/** The settings that make two runs "the same run" for resuming. */
export function fingerprintOf(
  options: ResolvedTrainOptions,
  trainCount: number,
  validationCount: number,
): RunFingerprint {
  return {
    seed: options.seed,
    epochs: options.epochs,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    schedule: options.schedule,
    optimizer: options.optimizer,
    augment: options.augment ?? null,
    validationSplit: options.validationSplit,
    trainCount,
    validationCount,
  };
}

/**
 * Throws CheckpointError when a checkpoint cannot continue this run exactly. More epochs than before are allowed when
 * the schedule does not depend on the run's length.
 */
export function checkResumable(saved: RunFingerprint, current: RunFingerprint, source: string | undefined): void {
  const lengthFree = ['constant', 'step', 'exponential'].includes((current.schedule as { type: string }).type);
  const differences = (Object.keys(current) as (keyof RunFingerprint)[])
    .filter((key) => !(key === 'epochs' && lengthFree && current.epochs >= saved.epochs))
    .filter((key) => JSON.stringify(saved[key]) !== JSON.stringify(current[key]))
    .map((key) => `${key} was ${JSON.stringify(saved[key])}, now ${JSON.stringify(current[key])}`);
  if (differences.length > 0) {
    throw new CheckpointError(
      'CHECKPOINT_MISMATCH',
      `the checkpoint belongs to a different run (${differences.join('; ')}); use the original settings or start afresh`,
      { source },
    );
  }
}

/** Throws CheckpointError when the checkpoint's architecture differs from the model being trained. */
export function checkSameModel(saved: ModelSpec, current: ModelSpec, source: string | undefined): void {
  if (JSON.stringify(saved) !== JSON.stringify(current)) {
    throw new CheckpointError(
      'CHECKPOINT_MISMATCH',
      `the checkpoint holds model ${saved.name}, which differs from the model being trained (${current.name})`,
      { source },
    );
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Fingerprints the training split as read: its images and labels hashed, labelled with the caller's name and source. */
export async function datasetFingerprintOf(
  split: DatasetSplit,
  label: { name: string; source: string } | undefined,
): Promise<DatasetFingerprint> {
  const [imagesSha256, labelsSha256] = await Promise.all([sha256Hex(split.images), sha256Hex(split.labels)]);
  return {
    name: label?.name ?? 'unnamed',
    source: label?.source ?? 'the train split passed in',
    imagesSha256,
    labelsSha256,
  };
}

/** Throws CheckpointError, saying what differs, when the checkpoint was trained on other data than this run's. */
export function checkSameDataset(
  saved: DatasetFingerprint | undefined,
  current: DatasetFingerprint,
  source: string | undefined,
): void {
  if (saved === undefined) return;
  const differences = [
    ...(saved.name === current.name ? [] : [`dataset was ${saved.name}, now ${current.name}`]),
    ...(saved.imagesSha256 === current.imagesSha256
      ? []
      : [`training images SHA-256 was ${saved.imagesSha256.slice(0, 12)}…, now ${current.imagesSha256.slice(0, 12)}…`]),
    ...(saved.labelsSha256 === current.labelsSha256
      ? []
      : [`training labels SHA-256 was ${saved.labelsSha256.slice(0, 12)}…, now ${current.labelsSha256.slice(0, 12)}…`]),
  ];
  if (differences.length === 0) return;
  throw new CheckpointError(
    'CHECKPOINT_MISMATCH',
    `the checkpoint was trained on other data (${differences.join('; ')}; read from ${saved.source}, now from ${current.source}); resume with the original data or start afresh`,
    { source },
  );
}
