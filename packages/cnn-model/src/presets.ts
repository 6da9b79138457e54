import { ModelSpecError } from './errors.js';
import type { ModelSpec } from './spec.js';

/** MNIST pixel statistics for images scaled to [0, 1]. */
const mnistNormalization = { mean: 0.1307, std: 0.3081 };
const digits = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** The common PyTorch/Keras MNIST net: two conv+pool blocks, then two dense layers. */
const reference: ModelSpec = {
  name: 'reference',
  inputShape: [28, 28, 1],
  normalization: mnistNormalization,
  classNames: digits,
  layers: [
    { type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'conv2d', filters: 64, kernelSize: 3, activation: 'relu' },
    { type: 'maxPool2d', poolSize: 2 },
    { type: 'flatten' },
    { type: 'dense', units: 128, activation: 'relu' },
    { type: 'dense', units: 10 },
  ],
};

/** A stronger net in the style of the well-known ~99.6% Kaggle MNIST CNNs: batch norm, strided convs, dropout. */
const best: ModelSpec = {
  name: 'best',
  inputShape: [28, 28, 1],
  normalization: mnistNormalization,
  classNames: digits,
  layers: [
    { type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu' },
    { type: 'batchNorm' },
    { type: 'conv2d', filters: 32, kernelSize: 3, activation: 'relu' },
    { type: 'batchNorm' },
    { type: 'conv2d', filters: 32, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'batchNorm' },
    { type: 'dropout', rate: 0.4 },
    { type: 'conv2d', filters: 64, kernelSize: 3, activation: 'relu' },
    { type: 'batchNorm' },
    { type: 'conv2d', filters: 64, kernelSize: 3, activation: 'relu' },
    { type: 'batchNorm' },
    { type: 'conv2d', filters: 64, kernelSize: 5, strides: 2, padding: 'same', activation: 'relu' },
    { type: 'batchNorm' },
    { type: 'dropout', rate: 0.4 },
    { type: 'flatten' },
    { type: 'dense', units: 128, activation: 'relu' },
    { type: 'batchNorm' },
    { type: 'dropout', rate: 0.4 },
    { type: 'dense', units: 10 },
  ],
};

/** Names of the built-in architectures. */
export type PresetName = 'reference' | 'best';

/** The built-in architectures, as plain specs you can copy and edit. */
export const presets: Readonly<Record<PresetName, ModelSpec>> = { reference, best };

/** Returns a deep copy of a preset spec by name; throws {@link ModelSpecError} for an unknown name. */
export function getPreset(name: string): ModelSpec {
  if (Object.hasOwn(presets, name)) return structuredClone(presets[name as PresetName]);
  const expected = Object.keys(presets).join(', ');
  throw new ModelSpecError('UNKNOWN_PRESET', `unknown preset ${JSON.stringify(name)}; expected one of ${expected}`);
}
