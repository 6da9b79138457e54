import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ModelFormatError } from '../errors.js';
import { createModel } from '../model.js';
import { loadModel, saveModel } from '../node.js';
import { getPreset } from '../presets.js';
import { deserializeModel, type ModelJson, serializeModel } from '../serialize.js';
import { fixedRandom, relativeError, useBackend } from './backends.js';

/** Trains a couple of steps so batch-norm statistics and weights are no longer at their initial values. */
function trainedModel(preset: 'reference' | 'best') {
  const model = createModel(getPreset(preset), { seed: 4 });
  const optimizer: tf.Optimizer = tf.train.adam(1e-2);
  const x = tf.tensor4d(fixedRandom(8 * 784, 1), [8, 28, 28, 1]);
  const labels = tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32');
  for (let i = 0; i < 2; i++) {
    const { loss, correct, gradients } = model.computeGradients(x, labels);
    optimizer.applyGradients(gradients);
    tf.dispose([loss, correct, ...Object.values(gradients)]);
  }
  tf.dispose([x, labels]);
  optimizer.dispose();
  return model;
}

const probe = () => tf.tensor4d(fixedRandom(3 * 784, 99), [3, 28, 28, 1]);

describe('save and load', () => {
  beforeAll(() => useBackend('cpu'));

  for (const preset of ['reference', 'best'] as const) {
    it(`${preset}: tfjs-layers loadLayersModel reads model.json + weights and predicts the same`, async () => {
      const model = trainedModel(preset);
      const { modelJson, weightData } = await serializeModel(model);
      const keras = await tfl.loadLayersModel(
        tf.io.fromMemory({
          modelTopology: modelJson.modelTopology,
          weightSpecs: modelJson.weightsManifest[0]!.weights,
          weightData,
        }),
      );
      const x = probe();
      const ours = model.predict(x);
      const theirs = keras.predict(x) as tf.Tensor;
      expect(theirs.shape).toEqual([3, 10]);
      expect(relativeError(ours.dataSync(), theirs.dataSync())).toBeLessThan(1e-5);
      tf.dispose([x, ours, theirs]);
      keras.dispose();
      model.dispose();
    });
  }

  it('names the weights file by its SHA-256, and still serializes on a page without SubtleCrypto (plain http)', async () => {
    const model = trainedModel('reference');
    const { modelJson, weightData } = await serializeModel(model);
    const { createHash } = await import('node:crypto');
    const digest = createHash('sha256').update(new Uint8Array(weightData)).digest('hex');
    expect(modelJson.weightsManifest[0]!.paths).toEqual([`weights-${digest.slice(0, 16)}.bin`]);
    vi.stubGlobal('crypto', {});
    try {
      const insecure = await serializeModel(model);
      expect(insecure.modelJson.weightsManifest[0]!.paths).toEqual(['weights.bin']);
      expect(new Uint8Array(insecure.weightData)).toEqual(new Uint8Array(weightData));
    } finally {
      vi.unstubAllGlobals();
      model.dispose();
    }
  });

  it('round-trips bytes to the exact model: spec, class names, weights and moving statistics', async () => {
    const model = trainedModel('best');
    const { modelJson, weightData } = await serializeModel(model);
    const text = JSON.stringify(modelJson);
    const loaded = deserializeModel(text, new Uint8Array(weightData));
    expect(loaded.spec).toEqual(model.spec);
    expect(loaded.spec.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(loaded.getWeights()).toEqual(model.getWeights());
    const x = probe();
    const [a, b] = [model.predict(x), loaded.predict(x)];
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([x, a, b]);
    model.dispose();
    loaded.dispose();
  });

  it('saves to a directory through temp files and loads it back (Node entry)', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'cnn-model-'));
    try {
      const model = trainedModel('reference');
      const { modelJsonPath, weightsPath } = await saveModel(model, path.join(directory, 'nested'));
      const json = JSON.parse(await readFile(modelJsonPath, 'utf8')) as ModelJson;
      expect(json.format).toBe('layers-model');
      expect(json.userDefinedMetadata.mnistCnn.formatVersion).toBe(1);
      expect((await readFile(weightsPath)).byteLength).toBe(model.parameterCount() * 4);
      const loaded = await loadModel(path.join(directory, 'nested'));
      expect(loaded.getWeights()).toEqual(model.getWeights());
      model.dispose();
      loaded.dispose();
      await expect(loadModel(path.join(directory, 'missing'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('bad model files get typed errors and allocate nothing', () => {
  let good: { modelJson: ModelJson; weightData: ArrayBuffer };
  beforeAll(async () => {
    await useBackend('cpu');
    const model = createModel(getPreset('reference'), { seed: 1 });
    good = await serializeModel(model);
    model.dispose();
  });
  afterAll(() => useBackend('cpu'));

  const edit = (change: (json: ModelJson) => void) => {
    const json = structuredClone(good.modelJson);
    change(json);
    return json;
  };
  const weights = () => good.modelJson.weightsManifest[0]!.weights;

  const cases: Array<[string, () => [unknown, ArrayBuffer | Uint8Array], string]> = [
    [
      'wrong shape',
      () => [
        edit((j) => {
          j.weightsManifest[0]!.weights[0]!.shape = [3, 3, 2, 16];
        }),
        good.weightData,
      ],
      'WEIGHT_SHAPE_MISMATCH',
    ],
    [
      'missing weight',
      () => [
        edit((j) => {
          j.weightsManifest[0]!.weights = weights().slice(1);
        }),
        good.weightData,
      ],
      'MISSING_WEIGHT',
    ],
    [
      'extra weight',
      () => [
        edit((j) => {
          j.weightsManifest[0]!.weights.push({ name: 'dense_9/kernel', shape: [1], dtype: 'float32' });
        }),
        good.weightData,
      ],
      'UNEXPECTED_WEIGHT',
    ],
    [
      'truncated weights file',
      () => [good.modelJson, good.weightData.slice(0, good.weightData.byteLength - 4)],
      'WEIGHT_BYTE_LENGTH',
    ],
    [
      'non-finite value',
      () => {
        const data = new Float32Array(good.weightData.slice(0));
        data[1000] = Number.NaN;
        return [good.modelJson, data.buffer];
      },
      'NON_FINITE_WEIGHT',
    ],
    [
      'unknown layer type',
      () => [
        edit((j) => {
          (j.userDefinedMetadata.mnistCnn.spec.layers[1] as { type: string }).type = 'avgPool2d';
        }),
        good.weightData,
      ],
      'UNKNOWN_LAYER_TYPE',
    ],
    [
      'newer format version',
      () => [
        edit((j) => {
          j.userDefinedMetadata.mnistCnn.formatVersion = 2;
        }),
        good.weightData,
      ],
      'NEWER_FORMAT_VERSION',
    ],
    [
      'neither our metadata nor a Keras topology',
      () => [
        edit((j) => {
          delete (j as Partial<ModelJson>).userDefinedMetadata;
          delete (j as Partial<ModelJson>).modelTopology;
        }),
        good.weightData,
      ],
      'INVALID_MODEL_JSON',
    ],
    ['not JSON', () => ['{"format":', good.weightData], 'INVALID_MODEL_JSON'],
  ];

  for (const [label, make, code] of cases) {
    it(`${label} → ${code}`, () => {
      const tensors = tf.memory().numTensors;
      const variables = Object.keys(tf.engine().registeredVariables).length;
      const [json, data] = make();
      let caught: unknown;
      try {
        deserializeModel(json, data).dispose();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ModelFormatError);
      expect((caught as ModelFormatError).code).toBe(code);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(Object.keys(tf.engine().registeredVariables).length).toBe(variables);
    });
  }

  it('names the weights file: serializeModel as saveModel does, and the decoder when its bytes are short', async () => {
    const [file] = good.modelJson.weightsManifest[0]!.paths;
    expect(file).toMatch(/^weights-[0-9a-f]{16}\.bin$/);
    const directory = await mkdtemp(path.join(tmpdir(), 'cnn-model-name-'));
    try {
      const model = deserializeModel(good.modelJson, good.weightData);
      expect(path.basename((await saveModel(model, directory)).weightsPath)).toBe(file);
      model.dispose();
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
    expect(() => deserializeModel(good.modelJson, good.weightData.slice(4))).toThrow(
      `${file} holds ${good.weightData.byteLength - 4} bytes, the model needs ${good.weightData.byteLength}`,
    );
  });

  it('setWeights with a wrong map changes nothing', () => {
    const model = createModel(getPreset('reference'), { seed: 1 });
    const before = model.getWeights();
    const broken = { ...model.getWeights(), 'dense_2/bias': new Float32Array(3) };
    expect(() => model.setWeights(broken)).toThrow(expect.objectContaining({ code: 'WEIGHT_SHAPE_MISMATCH' }));
    expect(model.getWeights()).toEqual(before);
    model.dispose();
  });

  it('loadModel rejects a corrupted weights file on disk', async () => {
    const directory = await mkdtemp(path.join(tmpdir(), 'cnn-model-bad-'));
    try {
      await writeFile(path.join(directory, 'model.json'), JSON.stringify(good.modelJson));
      const [file] = good.modelJson.weightsManifest[0]!.paths;
      await writeFile(path.join(directory, file!), new Uint8Array(good.weightData.slice(8)));
      await expect(loadModel(directory)).rejects.toMatchObject({ code: 'WEIGHT_BYTE_LENGTH' });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
