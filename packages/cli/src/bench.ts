import type { CnnModel } from '@mnist-cnn/cnn-model';
import { describeBackend, type InferencePool, openInferencePool, train } from '@mnist-cnn/trainer/node';
import { startBackend } from './backend-setup.js';
import type { CommandContext } from './cli.js';
import { loadCliDataset } from './dataset-source.js';
import type { benchDefinition } from './definitions.js';
import { ExitCode } from './errors.js';
import { formatCount, plural } from './format.js';
import type { OptionValues } from './option-types.js';
import { inferenceWorkerCount, workerCount } from './workers.js';

/** `mnist-cnn bench`: training and inference throughput in images per second. */
export async function runBench(
  values: OptionValues<typeof benchDefinition.options>,
  context: CommandContext,
): Promise<number> {
  const { renderer } = context;
  const backend = await startBackend(values.backend);
  const dataset = await loadCliDataset(values, renderer);
  const workers = workerCount(values.workers, values.batchSize, (message) => renderer.warn(message));
  const inferenceWorkers = inferenceWorkerCount(values.workers); // warned about above, if at all
  // Untimed batches first, so kernel compilation, heap growth and a new thread's slow first steps do not count. A split
  // too small for the warm-up and the timed steps shortens the warm-up, so the figure still comes from timed batches.
  const fullBatches = Math.floor(dataset.train.count / values.batchSize);
  const warmupBatches = Math.max(1, Math.min(values.warmup, fullBatches - values.steps));
  if (warmupBatches < values.warmup) {
    renderer.warn(`warm-up shortened to ${warmupBatches} batches: the training split holds ${fullBatches}`);
  }
  const batches = values.steps + warmupBatches;
  const limit = Math.min(dataset.train.count, batches * values.batchSize);
  renderer.text(
    `benchmarking ${values.preset} on ${describeBackend(backend)}, batch size ${values.batchSize}, ${plural(workers, 'worker')} (inference: ${inferenceWorkers})`,
  );
  let timedFrom: number | undefined;
  let timedTo = 0;
  let timedBatches = 0;
  const result = await train({
    model: values.preset,
    train: dataset.train,
    limit,
    epochs: 1,
    batchSize: values.batchSize,
    ...(values.augment === undefined ? {} : { augment: values.augment }),
    workers,
    signal: context.interrupt.signal,
    onEvent: (event) => {
      if (event.type !== 'batch') return;
      renderer.progress(event);
      if (event.batch === Math.min(warmupBatches, event.batches - 1)) timedFrom = performance.now();
      else if (timedFrom !== undefined) {
        timedTo = performance.now();
        timedBatches++;
      }
    },
  }).finally(() => renderer.endProgress());
  const trainingImagesPerSecond =
    timedFrom !== undefined && timedBatches > 0
      ? (timedBatches * values.batchSize * 1000) / (timedTo - timedFrom)
      : result.imagesPerSecond;

  const inferenceCount = Math.min(values.inferenceImages, dataset.test.count);
  const pixels = dataset.test.images.subarray(0, inferenceCount * dataset.test.rows * dataset.test.cols);
  const inferenceMs = await timeInference(result.model, pixels, inferenceCount, values.batchSize, inferenceWorkers);
  const inferenceImagesPerSecond = (inferenceCount * 1000) / Math.max(inferenceMs, 1e-3);

  renderer.record(
    {
      type: 'bench',
      preset: values.preset,
      backend: backend.backend,
      simd: backend.simd,
      kernelBuild: backend.kernelBuild,
      batchSize: values.batchSize,
      workers,
      trainingSteps: timedBatches,
      trainingImagesPerSecond,
      trainingMsPerStep: (values.batchSize * 1000) / trainingImagesPerSecond,
      inferenceImages: inferenceCount,
      inferenceImagesPerSecond,
      inferenceWorkers,
    },
    [
      `training:  ${formatCount(trainingImagesPerSecond)} images/s (${((values.batchSize * 1000) / trainingImagesPerSecond).toFixed(1)} ms per batch of ${values.batchSize}, ${timedBatches} batches timed)`,
      `inference: ${formatCount(inferenceImagesPerSecond)} images/s (${formatCount(inferenceCount)} images in batches of ${values.batchSize} on ${plural(inferenceWorkers, 'worker')})`,
    ],
  );
  return ExitCode.ok;
}

/** Milliseconds `workers` replicas of `model` take to predict `count` images; disposes the model. */
async function timeInference(
  model: CnnModel,
  pixels: Uint8Array,
  count: number,
  batchSize: number,
  workers: number,
): Promise<number> {
  let pool: InferencePool | undefined;
  try {
    pool = await openInferencePool(model, { workers });
    // An untimed pass first, long enough for every replica to run a batch or two: a thread's first batches are slow.
    const warmupCount = Math.min(count, 2 * workers * batchSize);
    await pool.predict(pixels.subarray(0, (warmupCount * pixels.length) / count), warmupCount, { batchSize });
    const start = performance.now();
    await pool.predict(pixels, count, { batchSize });
    return performance.now() - start;
  } finally {
    await pool?.close();
    model.dispose();
  }
}
