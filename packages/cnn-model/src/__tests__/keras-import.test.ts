import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveLayersModelFiles } from '../../../../tests/support/tfjs-layers-files.mjs';
import { ModelFormatError } from '../errors.js';
import { loadModel, saveModel } from '../node.js';
import { fixedRandom, relativeError, useBackend } from './backends.js';

/** A tfjs-layers model saved as `model.save` lays it out (`./model.weights.bin` is how a browser download names it). */
async function saveWithTfjsLayers(model: tfl.LayersModel, weightsPath = 'weights.bin'): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tfjs-layers-model-'));
  await saveLayersModelFiles(model, tf.io.withSaveHandler, dir, weightsPath);
  return dir;
}

/** Replaces every weight (batch-norm moving statistics too) with fixed pseudo-random values, variances positive. */
function randomizeWeights(model: tfl.LayersModel): void {
  model.setWeights(
    model.weights.map((weight, i) => {
      const shape = weight.shape as number[];
      const values = fixedRandom(
        shape.reduce((a, b) => a * b, 1),
        10 + i,
      );
      const positive = /moving_variance|gamma/.test(weight.originalName);
      return tf.tensor(positive ? values.map((v) => 0.5 + Math.abs(v)) : values.map((v) => v * 0.3), shape);
    }),
  );
}

/** Pixels in [0, 1], the input a Keras MNIST model is trained on. */
const images = () =>
  tf.tensor4d(
    fixedRandom(6 * 784, 3).map((v) => (v + 1) / 2),
    [6, 28, 28, 1],
  );

function every(kind: 'softmax-layer' | 'softmax-activation') {
  const model = tfl.sequential();
  model.add(tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 3, activation: 'relu' }));
  model.add(tfl.layers.batchNormalization());
  model.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', useBias: false }));
  model.add(tfl.layers.batchNormalization({ epsilon: 1e-5 }));
  model.add(tfl.layers.activation({ activation: 'relu' }));
  model.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tfl.layers.dropout({ rate: 0.25 }));
  model.add(tfl.layers.conv2d({ filters: 8, kernelSize: 3 }));
  model.add(tfl.layers.reLU());
  model.add(tfl.layers.flatten());
  model.add(tfl.layers.dense({ units: 16, activation: 'relu' }));
  model.add(tfl.layers.batchNormalization());
  model.add(tfl.layers.dropout({ rate: 0.5 }));
  if (kind === 'softmax-layer') {
    model.add(tfl.layers.dense({ units: 10, activation: 'softmax' }));
  } else {
    model.add(tfl.layers.dense({ units: 10 }));
    model.add(tfl.layers.activation({ activation: 'softmax' }));
  }
  randomizeWeights(model);
  return model;
}

describe('loading a model saved by tfjs-layers', () => {
  beforeAll(() => useBackend('cpu'));

  it.each([
    ['softmax-layer', 'weights.bin'],
    ['softmax-activation', './model.weights.bin'],
  ] as const)(
    'a Sequential of every supported layer (%s, %s) predicts what tfjs-layers predicts',
    async (kind, file) => {
      const keras = every(kind);
      const dir = await saveWithTfjsLayers(keras, file);
      const model = await loadModel(dir);
      const x = images();
      const expected = (keras.predict(x) as tf.Tensor).dataSync();
      const actual = model.predict(x).dataSync();
      expect(relativeError(actual, expected)).toBeLessThan(1e-4);
      expect(Array.from(tf.argMax(model.predict(x), 1).dataSync())).toEqual(
        Array.from(tf.argMax(keras.predict(x) as tf.Tensor, 1).dataSync()),
      );
      expect(model.spec.layers.map((layer) => layer.type)).toContain('relu');

      // Saved again by us, it loads in tfjs-layers and in cnn-model with the same predictions.
      const again = await mkdtemp(path.join(tmpdir(), 'resaved-'));
      await saveModel(model, again);
      expect(relativeError((await loadModel(again)).predict(x).dataSync(), expected)).toBeLessThan(1e-4);
      const back = await tfl.loadLayersModel(
        tf.io.fromMemory(
          await import(path.join(again, 'model.json'), { with: { type: 'json' } }).then((m) => m.default),
        ),
      );
      expect(back.layers.length).toBeGreaterThan(0);
    },
  );

  it.each([
    [
      'an AveragePooling2D layer',
      () => [
        tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3, name: 'features' }),
        tfl.layers.averagePooling2d({ poolSize: 2, name: 'smooth' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 10 }),
      ],
      /layer 1 \(AveragePooling2D "smooth"\): AveragePooling2D layers are not supported/,
    ],
    [
      'a tanh activation',
      () => [
        tfl.layers.flatten({ inputShape: [28, 28, 1] }),
        tfl.layers.dense({ units: 10, activation: 'tanh', name: 'squash' }),
        tfl.layers.dense({ units: 10 }),
      ],
      /layer 1 \(Dense "squash"\): activation "tanh" is not supported/,
    ],
    [
      'a softmax before the last layer',
      () => [
        tfl.layers.flatten({ inputShape: [28, 28, 1] }),
        tfl.layers.dense({ units: 10, activation: 'softmax', name: 'early' }),
        tfl.layers.dense({ units: 10 }),
      ],
      /layer 1 \(Dense "early"\): activation "softmax" is not supported/,
    ],
  ])('refuses %s with an error naming the layer', async (_, layers, message) => {
    const dir = await saveWithTfjsLayers(tfl.sequential({ layers: layers() }));
    const error = await loadModel(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as ModelFormatError).code).toBe('UNSUPPORTED_LAYER');
    expect((error as Error).message).toMatch(message);
  });
});
