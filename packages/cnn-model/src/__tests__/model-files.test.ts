import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wideConvolutionSpec as wide } from '../../../../tests/support/over-budget-model.mjs';
import { createModel } from '../model.js';
import { loadModel, saveModel } from '../node.js';
import { getPreset } from '../presets.js';
import { checkActivationBudget, type ModelSpec } from '../spec.js';
import { useBackend } from './backends.js';

let directory: string;
beforeAll(async () => {
  await useBackend('cpu');
  directory = await mkdtemp(path.join(tmpdir(), 'cnn-model-files-'));
});
afterAll(() => rm(directory, { recursive: true, force: true }));

/** A saved reference model in a fresh directory; returns the directory, its model.json and its weights file. */
async function savedModel(name: string) {
  const dir = path.join(directory, name);
  const model = createModel(getPreset('reference'), { seed: 3 });
  const { weightsPath } = await saveModel(model, dir);
  model.dispose();
  const modelJson = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
  return { dir, modelJson, weightsName: path.basename(weightsPath) };
}

describe('loadModel refuses hostile model directories before reading them', () => {
  it('a manifest listing the weights file many times', async () => {
    const { dir, modelJson, weightsName } = await savedModel('repeated');
    modelJson.weightsManifest[0].paths = Array.from({ length: 1000 }, () => weightsName);
    await writeFile(path.join(dir, 'model.json'), JSON.stringify(modelJson));
    await expect(loadModel(dir)).rejects.toThrow(`weightsManifest lists ${weightsName} more than once`);
  });

  it('a sparse 1.5 GB weights file', async () => {
    const { dir, weightsName } = await savedModel('sparse');
    execFileSync('truncate', ['-s', '1500M', path.join(dir, weightsName)]);
    await expect(loadModel(dir)).rejects.toMatchObject({
      code: 'UNREADABLE_FILE',
      message: expect.stringMatching(/has 1572864000 bytes, more than the \d+ accepted/),
    });
  });

  it('weights that are a symlink to /dev/zero, or to a file outside the directory', async () => {
    const { dir, weightsName } = await savedModel('device');
    const weights = path.join(dir, weightsName);
    const outside = path.join(directory, 'outside.bin');
    await writeFile(outside, await readFile(weights));
    await rm(weights);
    await symlink('/dev/zero', weights);
    await expect(loadModel(dir)).rejects.toThrow(/resolves to \/dev\/zero, outside the model directory/);
    await rm(weights);
    await symlink(outside, weights);
    await expect(loadModel(dir)).rejects.toThrow('outside the model directory');
    await rm(weights);
    await symlink('/dev/zero', path.join(dir, 'zero'));
    const modelJson = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    await rm(path.join(dir, 'model.json'));
    await symlink('/dev/zero', path.join(dir, 'model.json'));
    await expect(loadModel(dir)).rejects.toThrow(
      `${path.join(dir, 'model.json')} is a device, expected a regular file`,
    );
    expect(modelJson.weightsManifest[0].paths).toEqual([weightsName]);
  });

  it('a FIFO as model.json or as the weights', async () => {
    const { dir, weightsName } = await savedModel('fifo');
    const weights = path.join(dir, weightsName);
    await rm(weights);
    execFileSync('mkfifo', [weights]);
    await expect(loadModel(dir)).rejects.toThrow(`${weights} is a FIFO, expected a regular file`);
    await rm(path.join(dir, 'model.json'));
    execFileSync('mkfifo', [path.join(dir, 'model.json')]);
    await expect(loadModel(dir)).rejects.toThrow('model.json is a FIFO, expected a regular file');
  });
});

describe('model budget', () => {
  it('names the layer whose activation is over budget and the batch size that fits', () => {
    expect(() => checkActivationBudget(wide, 256)).toThrow(
      expect.objectContaining({
        code: 'OVER_BUDGET',
        message: expect.stringMatching(
          /^layer conv2d_1 \(conv2d\) outputs 28×28×20000 .* at most 4 \(--batch-size 4\)$/,
        ),
      }),
    );
    expect(() => checkActivationBudget(wide, 4)).not.toThrow();
    expect(() => checkActivationBudget(getPreset('best'), 512)).not.toThrow();
  });

  it('refuses a spec with more parameters than the budget before any weight exists', () => {
    const huge: ModelSpec = { ...wide, layers: [{ type: 'flatten' }, { type: 'dense', units: 100_000 }] };
    expect(() => createModel(huge)).toThrow(expect.objectContaining({ code: 'OVER_BUDGET' }));
  });
});

describe('saveModel', () => {
  it('refuses non-finite weights and leaves the last good files', async () => {
    const { dir, weightsName } = await savedModel('nan');
    const before = await readdir(dir);
    const model = createModel(getPreset('reference'), { seed: 5 });
    // As a diverged optimizer step would leave it.
    const bias = model.trainableVariables.at(-1)!;
    bias.assign(tf.fill(bias.shape, Number.NaN));
    await expect(saveModel(model, dir)).rejects.toMatchObject({ code: 'NON_FINITE_WEIGHT' });
    model.dispose();
    expect(await readdir(dir)).toEqual(before);
    expect(before).toContain(weightsName);
  });

  it('replaces a pair so that a kill -9 at any moment leaves one that loads', async () => {
    const dir = path.join(directory, 'crash');
    const script = fileURLToPath(new URL('fixtures/save-loop.mjs', import.meta.url));
    for (let trial = 0; trial < 8; trial++) {
      const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((resolve) => child.stdout.once('data', resolve));
      await new Promise((resolve) => setTimeout(resolve, 150 + trial * 37));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('close', resolve));
      const model = await loadModel(dir);
      expect(['reference', 'best']).toContain(model.spec.name);
      model.dispose();
    }
    // Old weights are removed once the model.json naming new ones is in place: at most a crash's leftover remains.
    const weightFiles = (await readdir(dir)).filter((name) => name.endsWith('.bin'));
    expect(weightFiles.length).toBeLessThanOrEqual(2);
  });
});
