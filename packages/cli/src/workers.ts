import { availableParallelism } from 'node:os';

/**
 * Below this many images per worker, the per-step synchronisation eats what the extra core gains. Measured on 2 cores,
 * wasm: batch 32 on 2 workers (16 each) trains 1.47× as fast as on 1 (workers bench, best rounds). Batch 16 (8 each)
 * gained 1.31–1.35× in that bench once Adam ran on the wasm heap (1.05–1.17× before), but full runs of the default
 * recipe swung between 1.0× and 1.27× from one run to the next (44–47 s or 36–37 s, against 46–47 s on 1 worker), and
 * shards of 8 move its seeded result (98.99% → 98.88%), so the floor stays at 16.
 */
const minimumImagesPerWorker = 16;

/** `--workers`, or one training thread per CPU core when not given — but no more than keep ≥ 16 images per worker. */
export function workerCount(given: number | undefined, batchSize: number): number {
  if (given !== undefined) return given;
  return Math.max(1, Math.min(availableParallelism(), Math.floor(batchSize / minimumImagesPerWorker)));
}
