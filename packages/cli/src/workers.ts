import { availableParallelism } from 'node:os';

/**
 * Below this many images per worker, the per-step synchronisation eats what the extra core gains: a smaller shard
 * gives each thread too little work between exchanges, its speed-up varies from run to run, and the smaller shards
 * also change the default recipe's seeded result. The measurements behind the choice are on the docs site's benchmarks
 * page (data-parallel training).
 */
const minimumImagesPerWorker = 16;

/** Threads per core above which `--workers` is cut back: each thread holds its own backend and copy of the model. */
const maxWorkersPerCore = 4;

/**
 * `--workers`, or one training thread per CPU core when not given — but no more than keep ≥ 16 images per worker. A
 * count above the cores gets a warning through `warn`; above 4× the cores it is cut to that.
 */
export function workerCount(
  given: number | undefined,
  batchSize: number,
  warn: (message: string) => void = () => {},
  cores: number = availableParallelism(),
): number {
  if (given === undefined) return Math.max(1, Math.min(cores, Math.floor(batchSize / minimumImagesPerWorker)));
  return inferenceWorkerCount(given, warn, cores);
}

/** `--workers` for inference, where each worker predicts whole batches: one per CPU core when not given. */
export function inferenceWorkerCount(
  given: number | undefined,
  warn: (message: string) => void = () => {},
  cores: number = availableParallelism(),
): number {
  if (given === undefined || given <= cores) return given ?? cores;
  const cap = maxWorkersPerCore * cores;
  if (given > cap) {
    warn(`--workers ${given} is more than ${maxWorkersPerCore}× the ${cores} CPU cores; using ${cap}`);
    return cap;
  }
  warn(`--workers ${given} is more than the ${cores} CPU cores; the threads will share them and run slower`);
  return given;
}
