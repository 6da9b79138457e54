// Runs in the temp project: the library's train() given only a model and data, the way its README starts. Prints
// the batches of an epoch, its accuracy on 1,000 test images and the SHA-256 of its weights as weights.bin holds
// them, so the smoke test can compare them with `mnist-cnn train` run with no settings.
import { createHash } from 'node:crypto';
import { serializeModel } from '@mnist-cnn/cnn-model';
import { loadDataset } from '@mnist-cnn/mnist-data/node';
import { evaluate, initBackend, train } from '@mnist-cnn/trainer/node';

const limit = Number(process.argv[2]);
const mnist = await loadDataset();
await initBackend('wasm');
let batches;
const result = await train({
  model: 'reference',
  train: mnist.train,
  limit,
  onEvent: (event) => {
    if (event.type === 'start') batches = event.batches;
  },
});
const { weightData } = await serializeModel(result.model);
console.log(
  JSON.stringify({
    batches,
    accuracy: evaluate(result.model, mnist.test, { limit: 1000 }).accuracy,
    weightsSha256: createHash('sha256').update(new Uint8Array(weightData)).digest('hex'),
  }),
);
result.model.dispose();
