import { availableParallelism } from 'node:os';

/** Below this many images per worker, the per-step synchronisation costs more than the extra core gains (measured). */
const minimumImagesPerWorker = 32;

/** `--workers`, or one training thread per CPU core when not given — but no more than keep ≥ 32 images per worker. */
export function workerCount(given: number | undefined, batchSize: number): number {
  if (given !== undefined) return given;
  return Math.max(1, Math.min(availableParallelism(), Math.floor(batchSize / minimumImagesPerWorker)));
}
