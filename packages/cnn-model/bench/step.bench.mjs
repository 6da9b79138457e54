// Step and inference timings on the BUILT package (run `pnpm build` first), and what each kernel of the backend's
// kernel table saves against the stock path.
// Usage: node bench/step.bench.mjs [wasm|cpu ...] [--steps N] [--batch N] [--preset reference|best]
//   --steps  timed steps per variant (default 30 on wasm, 6 on cpu)
//   --batch  images per step (default 64); a data-parallel shard of batch 64 on 2 workers is 32
// Variants take turns step by step (all kernels, then the table without one kernel family, …), so a shared machine's
// drifting load falls on every variant alike; each kernel's saving is the median of its paired step-time differences.
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createModel, getPreset, registerKernels, unregisterKernels } from '@mnist-cnn/cnn-model';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : fallback;
};
const backends = args.filter((a) => a === 'cpu' || a === 'wasm');
const presetName = option('preset', 'reference');
const batchSize = Number(option('batch', 64));
const require = createRequire(import.meta.url);
setWasmPaths(`${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const load = () =>
  os
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(' ');
// Kernels that only work together are measured together; the optimizer update has no stock path in a training run.
const families = [
  ['MnistCnnConv2D', 'MnistCnnConv2DBackprop'],
  ['MnistCnnDense', 'MnistCnnDenseBackprop'],
  ['MnistCnnMaxPoolBackprop'],
  ['MnistCnnAddPatches'],
  ['MnistCnnFilterGradient'],
];

async function bench(backend) {
  await tf.setBackend(backend);
  tf.enableProdMode();
  const table = registerKernels(backend);
  const steps = Number(option('steps', backend === 'cpu' ? 6 : 30));
  const model = createModel(getPreset(presetName), { seed: 1 });
  // tf.train's Adam, the same on every build, so the figures compare the layers' kernels only.
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomNormal([batchSize, 28, 28, 1], 0, 1, 'float32', 1);
  const labels = tf.tensor1d(
    Array.from({ length: batchSize }, (_, i) => i % 10),
    'int32',
  );
  const step = () => {
    const { loss, correct, gradients } = model.computeGradients(x, labels);
    optimizer.applyGradients(gradients);
    loss.dataSync();
    tf.dispose([loss, correct, ...Object.values(gradients)]);
  };
  const variants = [
    ['all kernels', []],
    ...families.filter((f) => f.every((k) => table.includes(k))).map((f) => [`without ${f.join(' + ')}`, f]),
  ];
  const use = (removed) => {
    unregisterKernels(backend);
    registerKernels(backend);
    for (const name of removed) tf.unregisterKernel(name, backend);
  };
  for (const [, removed] of variants) {
    use(removed);
    step();
    step();
  }
  const loadBefore = load();
  const times = variants.map(() => []);
  for (let i = 0; i < steps; i++) {
    for (const [index, [, removed]] of variants.entries()) {
      use(removed);
      const start = performance.now();
      step();
      times[index].push(performance.now() - start);
    }
  }
  use([]);
  const inferenceBatch = tf.randomNormal([256, 28, 28, 1], 0, 1, 'float32', 2);
  const infer = () => model.predict(inferenceBatch).dataSync();
  infer();
  const inferTimes = [];
  for (let i = 0; i < (backend === 'cpu' ? 3 : 10); i++) {
    const start = performance.now();
    infer();
    inferTimes.push(performance.now() - start);
  }
  const stepMs = median(times[0]);
  console.log(`\n${backend} · ${presetName} · batch ${batchSize} · forward + backward + tf.train Adam`);
  console.log(`  kernel table: ${table.join(', ')}`);
  console.log(
    `  load average (1/5/15 min) before timing: ${loadBefore}, after: ${load()} on ${os.cpus().length} cores`,
  );
  console.log(
    `  step: median ${stepMs.toFixed(1)} ms, min ${Math.min(...times[0]).toFixed(1)} ms over ${steps} steps → ${((batchSize * 1000) / stepMs).toFixed(0)} img/s`,
  );
  console.log(
    `  inference batch 256: median ${median(inferTimes).toFixed(1)} ms → ${(256000 / median(inferTimes)).toFixed(0)} img/s`,
  );
  console.log('  saved per step by each kernel (median paired difference, stock path minus kernel):');
  for (const [index, [label]] of variants.entries()) {
    if (index === 0) continue;
    const saved = median(times[index].map((t, i) => t - times[0][i]));
    const share = (100 * saved) / stepMs;
    console.log(
      `    ${label.replace('without ', '').padEnd(44)} ${saved.toFixed(2).padStart(7)} ms  ${share.toFixed(1).padStart(5)}%`,
    );
  }
  tf.dispose([x, labels, inferenceBatch]);
  optimizer.dispose();
  model.dispose();
}

for (const backend of backends.length ? backends : ['wasm', 'cpu']) await bench(backend);
