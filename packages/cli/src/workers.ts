import { availableParallelism } from 'node:os';

/**
 * Below this many images per worker, the per-step synchronisation eats what the extra core gains: a smaller shard
 * gives each thread too little work between exchanges, its speed-up varies from run to run, and the smaller shards
 * also change the default recipe's seeded result. The measurements behind the choice are on the docs site's benchmarks
 * page (data-parallel training).
 */
const minimumImagesPerWorker = 16;

/** `--workers`, or one training thread per CPU core when not given — but no more than keep ≥ 16 images per worker. */
export function workerCount(given: number | undefined, batchSize: number): number {
  if (given !== undefined) return given;
  return Math.max(1, Math.min(availableParallelism(), Math.floor(batchSize / minimumImagesPerWorker)));
}
