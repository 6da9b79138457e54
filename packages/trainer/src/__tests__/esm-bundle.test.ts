import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const run = promisify(execFile);

// A CLI bundled into one ESM file has no `__dirname`, which the wasm backend's Node build reads while starting.
describe('the Node entry inside a single-file ESM bundle', () => {
  it('starts the WASM backend from the installed binaries and computes with it', async () => {
    await inWorkDir(bundleAndRun);
  });

  it('trains with 2 workers when the worker script is bundled beside it as worker-thread.js', async () => {
    await inWorkDir(bundleWithWorkerAndTrain);
  });
});

async function inWorkDir(work: (workDir: string) => Promise<void>): Promise<void> {
  // The bundle must sit where module resolution finds the installed @tensorflow packages, as in a real install.
  const cache = join(packageDir, 'node_modules', '.cache');
  await mkdir(cache, { recursive: true });
  const workDir = await mkdtemp(join(cache, 'esm-bundle-'));
  try {
    await work(workDir);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

// The usual banner for ESM bundles of CommonJS code; `__dirname` is deliberately left undefined.
const banner = {
  js: "import { createRequire as bannerRequire } from 'node:module'; const require = bannerRequire(import.meta.url);",
};

async function bundleWithWorkerAndTrain(workDir: string): Promise<void> {
  const entry = join(workDir, 'entry.mjs');
  await writeFile(
    entry,
    [
      `import { initBackend, train } from ${JSON.stringify(join(packageDir, 'src', 'node.ts'))};`,
      `import { loadDataset } from '@mnist-cnn/mnist-data/node';`,
      `import { sliceSplit } from '@mnist-cnn/mnist-data';`,
      `await initBackend('wasm');`,
      `const data = sliceSplit((await loadDataset()).train, 0, 64);`,
      `const spec = { name: 'tiny', inputShape: [28, 28, 1], normalization: { mean: 0.1307, std: 0.3081 },`,
      `  layers: [{ type: 'flatten' }, { type: 'dense', units: 10 }] };`,
      `const result = await train({ model: spec, train: data, epochs: 1, batchSize: 32, workers: 2 });`,
      `console.log(JSON.stringify({ steps: result.steps, loss: result.history[0].loss }));`,
      `result.model.dispose();`,
    ].join('\n'),
  );
  const common: BuildOptions = {
    bundle: true,
    format: 'esm',
    platform: 'node',
    nodePaths: [join(packageDir, 'node_modules')],
    banner,
    logLevel: 'silent',
  };
  await build({ ...common, entryPoints: [entry], outfile: join(workDir, 'bundle.mjs') });
  await build({
    ...common,
    entryPoints: [join(packageDir, 'src', 'worker-thread.ts')],
    outfile: join(workDir, 'worker-thread.js'),
  });
  await writeFile(join(workDir, 'package.json'), '{ "type": "module" }');
  const { stdout } = await run(process.execPath, [join(workDir, 'bundle.mjs')], { cwd: workDir, timeout: 90_000 });
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
  expect(report.steps).toBe(2);
  expect(Number.isFinite(report.loss)).toBe(true);
}

async function bundleAndRun(workDir: string): Promise<void> {
  const entry = join(workDir, 'entry.mjs');
  await writeFile(
    entry,
    [
      `import { initBackend } from ${JSON.stringify(join(packageDir, 'src', 'node.ts'))};`,
      `import * as tf from '@tensorflow/tfjs-core';`,
      `const info = await initBackend('wasm');`,
      `console.log(JSON.stringify({ ...info, sum: tf.add(tf.scalar(2), tf.scalar(3)).dataSync()[0] }));`,
    ].join('\n'),
  );
  const outfile = join(workDir, 'bundle.mjs');
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    outfile,
    nodePaths: [join(packageDir, 'node_modules')],
    banner,
    logLevel: 'silent',
  });
  const { stdout } = await run(process.execPath, [outfile], { cwd: workDir });
  const report = JSON.parse(stdout.trim().split('\n').at(-1)!);
  expect(report).toMatchObject({ backend: 'wasm', kernelBuild: 'relaxed-simd', sum: 5 });
  expect(report.binary).toBe(report.simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm');
}
