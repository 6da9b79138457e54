// Time-to-accuracy bench: trains on the full MNIST training set and measures the MNIST test accuracy every
// --eval-every batches (the clock stops while it evaluates), then prints the training seconds at which the test
// accuracy first reached --target, and the accuracy and time at the end of the run. The run is one fixed schedule
// (it is not cut short when the target is reached), so the end figures are those of a normal training run.
//
//   pnpm --filter @mnist-cnn/trainer build && node packages/trainer/bench/time-to-accuracy.bench.mjs
//   node packages/trainer/bench/time-to-accuracy.bench.mjs --workers 1 --batch-size 16 --epochs 1 --lr 0.0015
//
// Defaults: what `mnist-cnn train` does with no flags — the preset's recipe (batch size, learning rate, schedule,
// augmentation, epochs) on one worker per core — so this bench measures the CLI's time-to-accuracy target. Each flag
// overrides one setting. Test accuracy is measured every quarter epoch of the default batch size.
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createModel, getPreset } from '@mnist-cnn/cnn-model';
import { loadDataset } from '@mnist-cnn/mnist-data/node';
import { evaluate, initBackend, recipeFor, train, withRecipeDefaults } from '../dist/node.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    backend: { type: 'string', default: 'wasm' },
    workers: { type: 'string', default: String(availableParallelism()) },
    preset: { type: 'string', default: 'reference' },
    epochs: { type: 'string' },
    'batch-size': { type: 'string' },
    lr: { type: 'string' },
    schedule: { type: 'string' },
    'no-augment': { type: 'boolean' },
    seed: { type: 'string', default: '42' },
    target: { type: 'string', default: '0.99' },
    'eval-every': { type: 'string', default: '469' },
  },
});

const target = Number(values.target);
const evalEvery = Number(values['eval-every']);
const backend = await initBackend(values.backend);
const mnist = await loadDataset();
const model = createModel(getPreset(values.preset), { seed: Number(values.seed) });
const numberOrUnset = (text) => (text === undefined ? undefined : Number(text));
const settings = {
  epochs: numberOrUnset(values.epochs) ?? recipeFor(values.preset).epochs,
  ...withRecipeDefaults({
    model: values.preset,
    batchSize: numberOrUnset(values['batch-size']),
    learningRate: numberOrUnset(values.lr),
    schedule: values.schedule,
    augment: values['no-augment'] ? false : undefined,
  }),
  workers: Number(values.workers),
  seed: Number(values.seed),
};
console.log(
  `time to ${(target * 100).toFixed(1)}% MNIST test accuracy · ${values.preset} on ${backend.backend}` +
    `${backend.simd ? ' (simd)' : ''} · ${JSON.stringify(settings)} · load average ${loadText()}`,
);

let evaluationMs = 0;
let reachedAt;
let last = { seconds: 0, accuracy: 0 };
const started = performance.now();
const trainingSeconds = () => (performance.now() - started - evaluationMs) / 1000;

function measure(label) {
  const seconds = trainingSeconds();
  const evaluationStart = performance.now();
  const { accuracy } = evaluate(model, mnist.test, { batchSize: 500 });
  evaluationMs += performance.now() - evaluationStart;
  if (reachedAt === undefined && accuracy >= target) reachedAt = seconds;
  console.log(
    `  ${label.padEnd(22)} ${seconds.toFixed(1).padStart(6)} s  test accuracy ${(accuracy * 100).toFixed(2)}%`,
  );
  last = { seconds, accuracy };
}

const result = await train({
  model,
  train: mnist.train,
  ...settings,
  onEvent: (event) => {
    if (event.type !== 'batch') return;
    if (event.batch % evalEvery === 0 && event.batch !== event.batches) {
      measure(`epoch ${event.epoch} batch ${event.batch}`);
    }
    if (event.batch === event.batches) measure(`end of epoch ${event.epoch}`);
  },
});
const final = last;
console.log(
  `reached ${(target * 100).toFixed(1)}%: ${reachedAt === undefined ? 'no' : `after ${reachedAt.toFixed(1)} s of training`}` +
    ` · end of run: ${(final.accuracy * 100).toFixed(2)}% after ${final.seconds.toFixed(1)} s` +
    ` (${result.imagesPerSecond.toFixed(0)} img/s) · load average ${loadText()}`,
);
model.dispose();

function loadText() {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
}
