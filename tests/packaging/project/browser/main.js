// The browser entries of the three library packages, bundled by Vite: fetch a small MNIST slice, build the reference
// model and train a few steps on the wasm backend. The outcome goes to window.smokeResult for the test to read.
import { createModel, getPreset } from '@mnist-cnn/cnn-model';
import { fetchDataset } from '@mnist-cnn/mnist-data';
import { initBackend, train } from '@mnist-cnn/trainer';

async function run() {
  const backend = await initBackend('wasm', { wasmPaths: '/wasm/' });
  const mnist = await fetchDataset('/data/');
  const model = createModel(getPreset('reference'), { seed: 3 });
  const losses = [];
  const result = await train({
    model,
    train: mnist.train,
    limit: 512,
    batchSize: 32,
    epochs: 1,
    seed: 3,
    onEvent: (event) => {
      if (event.type === 'batch') losses.push(event.batchLoss);
    },
  });
  model.dispose();
  return { backend: backend.backend, trainCount: mnist.train.count, steps: result.steps, losses };
}

run().then(
  (result) => {
    window.smokeResult = result;
    document.querySelector('#status').textContent = `trained ${result.steps} steps`;
  },
  (error) => {
    window.smokeResult = { error: String(error?.stack ?? error) };
    console.error(error);
  },
);
