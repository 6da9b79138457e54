import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeIdx } from '@mnist-cnn/mnist-data';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveLayersModelFiles } from '../../../../tests/support/tfjs-layers-files.mjs';
import { mnistTestDigits } from './fixtures.js';
import { jsonLines, runBin } from './run-bin.js';

/** A tfjs-layers model saved as `model.save('file://dir')` lays it out. */
async function saveWithTfjsLayers(model: tfl.LayersModel): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tfjs-layers-model-'));
  await saveLayersModelFiles(model, tf.io.withSaveHandler, dir);
  return dir;
}

const { images, labels } = mnistTestDigits(64);
const pixels = new Uint8Array(images.length * 784);
images.forEach((image, i) => {
  pixels.set(image, i * 784);
});

let modelDir: string;
let idxFile: string;
let expected: number[][];

beforeAll(async () => {
  await tf.setBackend('cpu');
  // A small Keras-style MNIST net, fitted briefly so its predictions mean something.
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 8, kernelSize: 3, activation: 'relu' }),
      tfl.layers.batchNormalization(),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dropout({ rate: 0.2 }),
      tfl.layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tensor4d(
    Float32Array.from(pixels, (value) => value / 255),
    [images.length, 28, 28, 1],
  );
  await model.fit(x, tf.tensor1d(labels, 'float32'), { epochs: 3, batchSize: 16, verbose: 0 });
  expected = (await (model.predict(x) as tf.Tensor).array()) as number[][];
  modelDir = await saveWithTfjsLayers(model);
  idxFile = join(modelDir, 'digits-idx3-ubyte');
  writeFileSync(idxFile, encodeIdx({ dtype: 'uint8', shape: [images.length, 28, 28], data: pixels }));
}, 120_000);

describe('a model saved by tfjs-layers (built binary)', () => {
  it('predict gives the probabilities tfjs-layers gives', async () => {
    const result = await runBin(['predict', '--model', modelDir, '--top', '10', '--json', idxFile]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const records = jsonLines(result.stdout);
    expect(records).toHaveLength(images.length);
    records.forEach((record, i) => {
      const row = expected[i]!;
      expect(record.label).toBe(row.indexOf(Math.max(...row)));
      for (const entry of record.top as { label: number; probability: number }[])
        expect(entry.probability).toBeCloseTo(row[entry.label]!, 4);
    });
  });

  it('evaluate runs it on the test split', async () => {
    const result = await runBin(['evaluate', '--model', modelDir, '--limit', '500', '--json']);
    expect(result.code).toBe(0);
    expect(jsonLines(result.stdout)[0]).toMatchObject({ type: 'evaluation', count: 500 });
  });

  it('refuses a layer it cannot run, naming it (exit 1)', async () => {
    const dir = await saveWithTfjsLayers(
      tfl.sequential({
        layers: [
          tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 2, kernelSize: 3 }),
          tfl.layers.globalAveragePooling2d({ name: 'squeeze' }),
          tfl.layers.dense({ units: 10, activation: 'softmax' }),
        ],
      }),
    );
    const result = await runBin(['predict', '--model', dir, idxFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^mnist-cnn: error: cannot load the model in .*GlobalAveragePooling2D "squeeze"/m);
  });
});
