import type { ModelSpec } from '@mnist-cnn/cnn-model';
import type { DatasetSplit } from '@mnist-cnn/mnist-data';
import {
  type Checkpoint,
  type CheckpointStore,
  checkpointFieldProblem,
  type DatasetFingerprint,
  decodeCheckpoint,
  type RunFingerprint,
} from './checkpoint.js';
import { CheckpointError } from './errors.js';
import type { ResolvedTrainOptions } from './options.js';

/** Reads the checkpoint a run should resume from, or undefined to start fresh; one given as an object is checked too. */
export async function readResumeCheckpoint(
  resume: boolean | Checkpoint | Uint8Array | undefined,
  store: CheckpointStore | undefined,
): Promise<Checkpoint | undefined> {
  if (resume === undefined || resume === false) return undefined;
  if (resume instanceof Uint8Array) return decodeCheckpoint(resume);
  if (resume === true) {
    const bytes = await store?.load();
    return bytes === undefined ? undefined : decodeCheckpoint(bytes, store?.location);
  }
  const problem = checkpointFieldProblem(resume);
  if (problem !== undefined) throw new CheckpointError('CHECKPOINT_CORRUPT', `not a usable checkpoint: ${problem}`);
  return resume;
}

/** The settings that make two runs "the same run" for resuming. */
export function fingerprintOf(options: ResolvedTrainOptions, validationCount: number): RunFingerprint {
  return {
    seed: options.seed,
    epochs: options.epochs,
    batchSize: options.batchSize,
    learningRate: options.learningRate,
    schedule: options.schedule,
    optimizer: options.optimizer,
    augment: options.augment ?? null,
    validationSplit: options.validationSplit,
    trainCount: options.trainCount,
    validationCount,
  };
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

const differ = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);
const datasetFields = {
  name: 'dataset',
  imagesSha256: 'training images SHA-256',
  labelsSha256: 'training labels SHA-256',
};

/**
 * Throws CheckpointError, saying what differs, unless the checkpoint continues this very run: same settings, model and
 * training data. More epochs than before are allowed when the schedule does not depend on the run's length.
 */
export function checkSameRun(
  saved: Checkpoint,
  current: { run: RunFingerprint; spec: ModelSpec; dataset: DatasetFingerprint },
  source: string | undefined,
): void {
  const mismatch = (problem: string): never => {
    throw new CheckpointError('CHECKPOINT_MISMATCH', problem, { source });
  };
  const { run } = current;
  const lengthFree = ['constant', 'step', 'exponential'].includes((run.schedule as { type: string }).type);
  const settings = (Object.keys(run) as (keyof RunFingerprint)[])
    .filter((key) => !(key === 'epochs' && lengthFree && run.epochs >= saved.run.epochs))
    .filter((key) => differ(saved.run[key], run[key]))
    .map((key) => `${key} was ${JSON.stringify(saved.run[key])}, now ${JSON.stringify(run[key])}`);
  if (settings.length > 0) {
    mismatch(
      `the checkpoint belongs to a different run (${settings.join('; ')}); use the original settings or start afresh`,
    );
  }
  if (differ(saved.model.spec, current.spec)) {
    mismatch(
      `the checkpoint holds model ${saved.model.spec.name}, which differs from the model being trained (${current.spec.name})`,
    );
  }
  const [was, now] = [saved.dataset, current.dataset];
  if (was === undefined) return;
  // Hashes are shortened to 12 digits: enough to tell two files apart in a message.
  const shown = (key: keyof typeof datasetFields, value: string) => (key === 'name' ? value : `${value.slice(0, 12)}…`);
  const data = (Object.keys(datasetFields) as (keyof typeof datasetFields)[])
    .filter((key) => was[key] !== now[key])
    .map((key) => `${datasetFields[key]} was ${shown(key, was[key])}, now ${shown(key, now[key])}`);
  if (data.length > 0) {
    mismatch(
      `the checkpoint was trained on other data (${data.join('; ')}; read from ${was.source}, now from ${now.source}); resume with the original data or start afresh`,
    );
  }
}
