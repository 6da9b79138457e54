// Training throughput of the reference preset with 1 and 2 worker threads (data-parallel), on wasm and cpu, batch 64.
// Prints images per second per configuration, the speed-up of 2 workers over 1, and the load average while it ran,
// since other jobs on a shared machine change the figures.
//
//   pnpm --filter @mnist-cnn/trainer build && node packages/trainer/bench/workers.bench.mjs
//   node packages/trainer/bench/workers.bench.mjs --backends wasm --workers 1,2 --steps 80 --batch-size 64
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { sliceSplit } from '@mnist-cnn/mnist-data';
import { loadDataset } from '@mnist-cnn/mnist-data/node';
import { initBackend, train } from '../dist/node.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    backends: { type: 'string', default: 'wasm,cpu' },
    workers: { type: 'string', default: '1,2' },
    preset: { type: 'string', default: 'reference' },
    'batch-size': { type: 'string', default: '64' },
    // Timed steps per configuration; cpu steps are about 6× slower, so cpu runs a sixth of them.
    steps: { type: 'string', default: '60' },
  },
});

const warmupBatches = 3;
const batchSize = Number(values['batch-size']);
const mnist = await loadDataset();

async function measure(workers, steps) {
  const batches = steps + warmupBatches;
  let timedFrom = 0;
  let timedTo = 0;
  const result = await train({
    model: values.preset,
    train: sliceSplit(mnist.train, 0, batches * batchSize),
    epochs: 1,
    batchSize,
    workers,
    onEvent: (event) => {
      if (event.type !== 'batch') return;
      if (event.batch === warmupBatches) timedFrom = performance.now();
      timedTo = performance.now();
    },
  });
  result.model.dispose();
  return (steps * batchSize * 1000) / (timedTo - timedFrom);
}

const formatLoad = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
for (const backend of values.backends.split(',')) {
  const info = await initBackend(backend);
  const steps = Math.max(5, Math.round(Number(values.steps) / (backend === 'cpu' ? 6 : 1)));
  const figures = new Map();
  for (const workers of values.workers.split(',').map(Number)) {
    const before = formatLoad();
    const imagesPerSecond = await measure(workers, steps);
    figures.set(workers, imagesPerSecond);
    console.log(
      `${values.preset} ${info.backend}${info.simd ? ' (simd)' : ''} batch ${batchSize} workers ${workers}: ` +
        `${imagesPerSecond.toFixed(0)} img/s over ${steps} steps (load before ${before}, after ${formatLoad()})`,
    );
  }
  const one = figures.get(1);
  for (const [workers, imagesPerSecond] of figures) {
    if (one && workers > 1)
      console.log(`  ${workers} workers / 1 worker on ${info.backend}: ${(imagesPerSecond / one).toFixed(2)}×`);
  }
}
