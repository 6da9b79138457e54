// The page of threaded-wasm.test.ts, bundled for the browser: trains the same small network twice from one seed on
// tfjs-backend-wasm (its threaded build, on a cross-origin-isolated page), with cnn-model's kernels and then with
// tfjs's stock kernels only, and reports both runs' predictions.
import { unregisterKernels } from '@mnist-cnn/cnn-model';
import type { DatasetSplit } from '@mnist-cnn/mnist-data';
import { initBackend, predictImages, train } from '../../index.js';

const spec = {
  name: 'compact',
  inputShape: [28, 28, 1] as [number, number, number],
  normalization: { mean: 0.1307, std: 0.3081 },
  layers: [
    { type: 'conv2d' as const, filters: 8, kernelSize: 5, strides: 2, activation: 'relu' as const },
    { type: 'maxPool2d' as const, poolSize: 2 },
    { type: 'flatten' as const },
    { type: 'dense' as const, units: 10 },
  ],
};

async function trainAndPredict(split: DatasetSplit, testImages: Uint8Array): Promise<number[]> {
  const options = { model: spec, train: split, epochs: 1, batchSize: 32, seed: 5, learningRate: 0.01 };
  const result = await train({ ...options, schedule: 'constant', augment: false, validationSplit: 0 });
  const probabilities = predictImages(result.model, testImages, testImages.length / 784);
  result.model.dispose();
  return Array.from(probabilities);
}

(window as unknown as { run: unknown }).run = async (images: number[], labels: number[], testImages: number[]) => {
  const info = await initBackend('wasm', { wasmPaths: '/wasm/' });
  const split = {
    images: Uint8Array.from(images),
    labels: Uint8Array.from(labels),
    count: labels.length,
    rows: 28,
    cols: 28,
  };
  const withKernels = await trainAndPredict(split, Uint8Array.from(testImages));
  unregisterKernels('wasm');
  const stock = await trainAndPredict(split, Uint8Array.from(testImages));
  return { info, crossOriginIsolated, withKernels, stock };
};
