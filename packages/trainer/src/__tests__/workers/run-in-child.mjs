// Runs one short worker-thread training in its own process and prints how it ended. The process must then exit by
// itself: if any worker thread survived the run, it would keep this process alive and the test would time out.
import { sliceSplit } from '@mnist-cnn/mnist-data';
import { loadDataset } from '@mnist-cnn/mnist-data/node';

const [entry, mode] = process.argv.slice(2);
const { initBackend, train } = await import(entry);
await initBackend('cpu');
const data = sliceSplit((await loadDataset()).train, 0, 96);
const spec = {
  name: 'tiny',
  inputShape: [28, 28, 1],
  normalization: { mean: 0.1307, std: 0.3081 },
  layers: [{ type: 'flatten' }, { type: 'dense', units: 10 }],
};
const controller = new AbortController();
const options = { model: spec, train: data, epochs: 2, batchSize: 16, workers: 2, signal: controller.signal };
if (mode === 'abort') options.onEvent = (event) => event.type === 'batch' && event.batch === 2 && controller.abort();
if (mode === 'crash') options.workerScript = new URL('./exits-on-first-step.mjs', import.meta.url);
try {
  const result = await train(options);
  console.log(JSON.stringify({ stopReason: result.stopReason, steps: result.steps }));
  result.model.dispose();
} catch (error) {
  console.log(JSON.stringify({ error: error.name, code: error.code }));
}
